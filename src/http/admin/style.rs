//! The console's one stylesheet, embedded, plus the time grid's placement classes (`.r{n}` starts
//! a block at quarter-hour row n, `.h{n}` makes it n quarter-hours tall): the CSP allows no
//! inline style, so positions are classes.

use std::fmt::Write as _;
use std::sync::LazyLock;

use actix_web::HttpResponse;

const BASE: &str = include_str!("../../../static/admin/console.css");

/// Quarter-hours in a day: the grid's rows.
pub(crate) const ROWS: usize = 96;

static CSS: LazyLock<String> = LazyLock::new(|| {
    let mut css = String::from(BASE);
    for n in 0..ROWS {
        let _ = writeln!(css, ".r{n}{{grid-row-start:{}}}.h{}{{grid-row-end:span {}}}", n + 1, n + 1, n + 1);
    }
    css
});

pub(crate) async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS.as_str())
}
