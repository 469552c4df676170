//! [`text_enum!`]: an enum stored or sent as fixed words (`"confirmed"`, `"sms"`, `"morning"`),
//! with `as_str`, `FromStr` and `Display` from one table, so each mapping is written once.

/// Gives a field-less enum its words: `text_enum!(Status { Confirmed => "confirmed", ... })`.
macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// The stored text.
            pub(crate) fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($text => Ok($ty::$variant),)* other => Err(format!("unknown {} {other:?}", stringify!($ty))) }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;
