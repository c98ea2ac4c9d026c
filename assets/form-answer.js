// Portvakt: a page that answers a form which was refused (a wrong password, a wrong code, a number that is none) makes
// its history entry the address of the page the form is on, by GET, so that Back and reload never send the form
// again ("Confirm Form Resubmission"). Successful forms are answered with a redirect and need no script. Without
// JavaScript every page works the same; only the entry of a refused form stays a form submission.
(function () {
  var script = document.currentScript;
  if (!script || !window.history || !window.history.replaceState || !window.URL) return;
  var url = new URL(script.getAttribute('data-page'), window.location.href);
  if (url.origin !== window.location.origin) return;
  // The login and code pages go on to where the user was going.
  var rd = document.querySelector('form input[name="rd"]');
  if (rd && rd.value && !url.searchParams.has('rd')) url.searchParams.set('rd', rd.value);
  window.history.replaceState(null, '', url.pathname + url.search);
})();
