//! The page of `portvakt demo`'s stand-in backends: what the gateway forwarded, so a first-time admin sees it.

use askama::Template;

/// `templates/demo_backend.html`.
#[derive(Template)]
#[template(path = "demo_backend.html")]
struct DemoBackendPage<'a> {
    name: &'a str,
    method: &'a str,
    path: &'a str,
    identity: &'a [(&'a str, &'a str)],
    assertion_len: usize,
}

/// The demo backend's page: the request line, the identity headers the gateway set, and the assertion's size.
pub fn demo_backend_page(
    name: &str,
    method: &str,
    path: &str,
    identity: &[(&str, &str)],
    assertion_len: usize,
) -> String {
    super::render(&DemoBackendPage { name, method, path, identity, assertion_len })
}

#[cfg(test)]
mod tests {
    /// Every value on the demo backend's page is escaped: a header value cannot inject markup.
    #[test]
    fn demo_backend_page_escapes_what_it_shows() {
        let html = super::demo_backend_page(
            "<b>app</b>",
            "GET",
            "/app/<script>",
            &[("x-portvakt-user", "\"><script>alert(1)</script>")],
            42,
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>app"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)"), "the value is shown, escaped: {html}");
        assert!(html.contains("<p>GET /app/&lt;script&gt;</p>"), "{html}");
        assert!(html.contains("<th scope=\"row\">x-portvakt-user</th>"), "{html}");
        assert!(html.contains("Signed assertion: 42 bytes"), "{html}");
    }
}
