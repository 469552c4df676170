//! Config parsing on any text: it never panics, and what it accepts is a usable business (a zone,
//! at least one staff member and one service, every staff member offering only known services).
#![no_main]

use appointment_setter::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(config) = Config::parse(text) {
        let biz = &config.business;
        assert!(!biz.staff.is_empty(), "accepted a business without staff");
        assert!(!biz.services.is_empty(), "accepted a business without services");
        for member in &biz.staff {
            for service in member.services.iter().flatten() {
                assert!(biz.service(service).is_some(), "{} offers unknown {service}", member.id);
            }
        }
    }
});
