//! The set-up page (`/admin/check`, owners): the `check` table, run live on each visit (calendar
//! and LLM checks go over the network), with what to do under each problem.

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::views::Nav;
use super::{nav, owner_signed_in, render_page};
use crate::setup::{Check, Verdict};

#[derive(Template)]
#[template(path = "admin/check.html")]
pub(crate) struct CheckPage {
    pub nav: Nav,
    pub checks: Vec<Check>,
    pub failed: usize,
    pub warned: usize,
    pub google: super::google::Card,
}

impl CheckPage {
    fn class(c: &Check) -> &'static str {
        match c.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

pub(super) async fn page(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match owner_signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let checks = match &console.setup {
        Some(setup) => setup.run(console.booking.now()).await,
        None => Vec::new(),
    };
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    let warned = checks.iter().filter(|c| c.verdict == Verdict::Warn).count();
    let google = super::google::card(&console, &auth.principal).await;
    let page =
        render_page(&console, &auth, CheckPage { nav: nav(&console, &auth.principal), checks, failed, warned, google });
    super::google::allowing_consent(&console, page)
}
