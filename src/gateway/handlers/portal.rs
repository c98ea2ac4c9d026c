//! The portal: the services this user may open now, and why the others are closed.

use crate::access::{Decision, DenyKind};
use crate::config::REMOTE_ZONE;
use crate::gateway::extract;
use crate::gateway::handler::{page_ctx, Handled};
use crate::gateway::http;
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::methods::{Assurance, Method, Methods};
use crate::pages::{self, Msg, Tile, TileState};
use crate::protected::PortalShow;
use crate::session::SessionRecord;
use pingora::proxy::Session;

/// GET /.portvakt/portal.
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let rec = extract::logged_in(gw, session, ctx).await?.rec;
    let req = session.req_header();
    let lang = ctx.lang(req);
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    let scheme = if gw.listener.is_https() { "https" } else { "http" };
    let port =
        http::authority_of(req).and_then(|a| a.parse::<::http::uri::Authority>().ok()).and_then(|a| a.port_u16());
    let tiles: Vec<Tile> = gw
        .state
        .cfg
        .services
        .iter()
        .filter(|s| s.show == PortalShow::All || reachable(gw, &rec, &s.name, &s.path_prefix))
        .map(|s| {
            let path = if s.path_prefix == "/" { "/".to_string() } else { format!("{}/", s.path_prefix) };
            let url = match (s.hosts.first(), port) {
                (Some(h), Some(p)) => format!("{scheme}://{h}:{p}{path}"),
                (Some(h), None) => format!("{scheme}://{h}{path}"),
                (None, _) => path.clone(),
            };
            let state = match gw.state.access.decide(&gw.facts(&zone, &rec, &s.name, &path)) {
                Decision::Allow => TileState::Open,
                Decision::StepUp(u) => TileState::NeedsStepUp {
                    message: u.message.as_ref().and_then(|m| m.get(lang.code())).map(str::to_string),
                    eid_only: u.eid.filter(|_| !u.code_suffices()).map(crate::methods::Assurance::as_str),
                },
                Decision::Deny(d) => match d.kind {
                    DenyKind::Zone => TileState::NotFromThisNetwork,
                    DenyKind::ClosedUntil(t) => TileState::ClosedUntil(pages::dates::local_time(t, lang)),
                    DenyKind::Rule | DenyKind::NoAccess => {
                        TileState::NoAccess(d.message.as_ref().and_then(|m| m.get(lang.code())).map(str::to_string))
                    }
                },
            };
            let default = gw.state.default_lang.code();
            let title = s.title_in(lang.code(), default).to_string();
            Tile { title, description: s.description_in(lang.code(), default).to_string(), url, state }
        })
        .collect();
    let label = if zone.name != REMOTE_ZONE { Msg::ZoneInternal } else { Msg::ZoneRemote };
    let pctx = page_ctx(gw, ctx, req, Some((&rec.display_name, &rec.csrf)));
    Ok(Reply::html(200, pages::portal_page(&pctx, &rec.display_name, label, &tiles)))
}

/// Whether this user could open the service from some zone with some login (every method, the highest eID level),
/// now or at another hour: only then does `show = "reachable"` list it. A service closed for the night is listed
/// (with when it opens); one the user's groups may never open is not.
fn reachable(gw: &Gateway, rec: &SessionRecord, service: &str, prefix: &str) -> bool {
    let strongest = SessionRecord {
        methods: Methods::of(Method::Password).with(Method::Sms).with(Method::Email).with(Method::Eid),
        assurance: Assurance::High,
        ..rec.clone()
    };
    let path = if prefix == "/" { "/".to_string() } else { format!("{prefix}/") };
    let zones = gw.state.cfg.zone_names();
    zones.iter().filter_map(|z| gw.state.zones.by_name(z)).any(|zone| {
        match gw.state.access.decide(&gw.facts(zone, &strongest, service, &path)) {
            Decision::Allow | Decision::StepUp(_) => true,
            Decision::Deny(d) => matches!(d.kind, DenyKind::ClosedUntil(_)),
        }
    })
}
