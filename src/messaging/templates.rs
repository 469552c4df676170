//! Every text a customer gets (SPEC §8). Each template tries wordings from fullest to shortest and
//! takes the first that fits one SMS segment; otherwise the shortest (never more than 3 segments).

use super::gsm7::segments;
use crate::domain::time::human;
use crate::domain::{Appointment, Business};

/// Picks the first candidate that fits one segment, else the shortest.
fn fit(candidates: Vec<String>) -> String {
    candidates
        .iter()
        .find(|c| segments(c) == 1)
        .cloned()
        .unwrap_or_else(|| candidates.into_iter().min_by_key(|c| (segments(c), c.len())).unwrap_or_default())
}

fn service_name<'a>(biz: &'a Business, a: &'a Appointment) -> &'a str {
    biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str())
}

fn staff_names<'a>(biz: &'a Business, a: &'a Appointment) -> (&'a str, &'a str) {
    let full = biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| s.name.as_str());
    (full, full.split_whitespace().next().unwrap_or(full))
}

fn call_us(biz: &Business) -> String {
    biz.transfer_number.as_ref().or(biz.phone_number.as_ref()).map(|n| format!(" Call {n}.")).unwrap_or_default()
}

/// Confirmation of a new booking; with `link`, the customer's page to change or cancel it (kept in
/// every wording: the details go first).
pub fn booked(biz: &Business, a: &Appointment, link: Option<&str>) -> String {
    let (when, service, (staff, first)) = (human(biz.timezone, a.start), service_name(biz, a), staff_names(biz, a));
    let b = &biz.name;
    fit(with_link(
        link,
        vec![
            format!("{b}: {service} with {staff} booked for {when}."),
            format!("{b}: {service} with {first} booked for {when}."),
            format!("{b}: {service} booked for {when}."),
            format!("{b}: booked {when}."),
        ],
    ))
}

/// Confirmation of a new time; with `link`, as for [`booked`].
pub fn rescheduled(biz: &Business, a: &Appointment, link: Option<&str>) -> String {
    let (when, service, (staff, first)) = (human(biz.timezone, a.start), service_name(biz, a), staff_names(biz, a));
    let b = &biz.name;
    fit(with_link(
        link,
        vec![
            format!("{b}: your {service} with {staff} is moved to {when}."),
            format!("{b}: your {service} with {first} is moved to {when}."),
            format!("{b}: your {service} is moved to {when}."),
            format!("{b}: moved to {when}."),
        ],
    ))
}

/// The wordings of a confirmation: each detail level with the reply keywords, and with `link` the
/// link first (the shortest wording keeps the link and STOP, the one keyword the law requires).
fn with_link(link: Option<&str>, details: Vec<String>) -> Vec<String> {
    let keywords = "Reply C to cancel, STOP to opt out.";
    let Some(link) = link else { return details.into_iter().map(|d| format!("{d} {keywords}")).collect() };
    let mut out: Vec<String> = details.iter().map(|d| format!("{d} Manage: {link} {keywords}")).collect();
    out.extend(details.iter().map(|d| format!("{d} {link} STOP to opt out.")));
    out
}

/// Confirmation of a cancellation.
pub fn cancelled(biz: &Business, a: &Appointment) -> String {
    let (when, service, (staff, first)) = (human(biz.timezone, a.start), service_name(biz, a), staff_names(biz, a));
    let (b, call) = (&biz.name, call_us(biz));
    let book_again = call.replace(" Call", " To book again, call");
    fit(vec![
        format!("{b}: your {service} with {staff} on {when} is cancelled.{book_again}"),
        format!("{b}: your {service} with {first} on {when} is cancelled.{call}"),
        format!("{b}: your {service} on {when} is cancelled.{call}"),
        format!("{b}: your appointment on {when} is cancelled."),
    ])
}

/// The reminder before an appointment.
pub fn reminder(biz: &Business, a: &Appointment) -> String {
    let (when, service, (staff, first)) = (human(biz.timezone, a.start), service_name(biz, a), staff_names(biz, a));
    let b = &biz.name;
    fit(vec![
        format!("{b} reminder: {service} with {staff} on {when}. Reply C to cancel, STOP to opt out."),
        format!("{b} reminder: {service} with {first} on {when}. Reply C to cancel, STOP to opt out."),
        format!("{b} reminder: {service} on {when}. Reply C to cancel, STOP to opt out."),
        format!("{b} reminder: {when}. Reply C to cancel, STOP to opt out."),
    ])
}

/// A cancellation by text when more appointments remain: says which one went and how to cancel
/// the others (`C2`, `C3`, numbered as in the customer's list before this cancellation).
pub fn cancelled_with_others(biz: &Business, gone: &Appointment, others: &[(usize, &Appointment)]) -> String {
    let when = human(biz.timezone, gone.start);
    let service = service_name(biz, gone);
    let b = &biz.name;
    let list: Vec<String> = others.iter().map(|(n, a)| format!("C{n} {}", human(biz.timezone, a.start))).collect();
    let codes: Vec<String> = others.iter().map(|(n, _)| format!("C{n}")).collect();
    fit(vec![
        format!(
            "{b}: cancelled {service} on {when}. Still booked: {}. Reply {} to cancel those.",
            list.join("; "),
            codes.join(" or ")
        ),
        format!("{b}: cancelled {when}. Still booked: {}. Reply {} to cancel.", list.join("; "), codes.join("/")),
    ])
}

/// A cancellation refused by the policy.
pub fn too_late(biz: &Business, a: &Appointment) -> String {
    let when = human(biz.timezone, a.start);
    let hours = biz.policy.cancel_notice.num_hours();
    let (b, call) = (&biz.name, call_us(biz));
    fit(vec![
        format!(
            "{b}: your appointment on {when} is less than {hours} hours away, so it can't be cancelled by text.{call}"
        ),
        format!("{b}: {when} is under {hours}h away; can't cancel by text.{call}"),
    ])
}

/// No upcoming appointment to cancel or show.
pub fn none_upcoming(biz: &Business) -> String {
    format!("{}: you have no upcoming appointments.{}", biz.name, call_us(biz).replace(" Call", " To book, call"))
}

/// `C3` when there is no third appointment.
pub fn no_such_number(biz: &Business, n: usize, count: usize) -> String {
    format!("{}: there is no appointment {n}; you have {count} upcoming. Reply C to cancel the next one.", biz.name)
}

/// The answer to HELP.
pub fn help(biz: &Business) -> String {
    fit(vec![
        format!(
            "{}: appointment texts. Reply C to cancel your next appointment, STOP to opt out.{}",
            biz.name,
            call_us(biz)
        ),
        format!("{}: reply C to cancel, STOP to opt out.{}", biz.name, call_us(biz)),
    ])
}

/// After START/UNSTOP.
pub fn opted_in(biz: &Business) -> String {
    format!("{}: you will get appointment texts again. Reply STOP to opt out.", biz.name)
}

/// The answer to anything else: the next appointment, if any, and how to reach the business.
pub fn next_appointment(biz: &Business, next: Option<&Appointment>) -> String {
    let Some(a) = next else { return none_upcoming(biz) };
    let (when, service) = (human(biz.timezone, a.start), service_name(biz, a));
    let (b, call) = (&biz.name, call_us(biz));
    fit(vec![
        format!("{b}: your next appointment is {service} on {when}. Reply C to cancel.{call}"),
        format!("{b}: next: {service} on {when}. Reply C to cancel.{call}"),
        format!("{b}: next: {when}. Reply C to cancel.{call}"),
    ])
}
