//! SMS segment arithmetic (GSM 03.38): GSM-7 texts fit 160 units in one segment (153 per part
//! when split); extension characters take two units; any other character switches the whole text
//! to UCS-2 (70 per segment, 67 per part).

const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENSION: &str = "^{}\\[~]|€\u{000C}";

/// GSM-7 units of `text`, or `None` when it needs UCS-2.
pub fn gsm7_units(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENSION.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

/// How many SMS segments `text` takes.
pub fn segments(text: &str) -> usize {
    match gsm7_units(text) {
        Some(n) if n <= 160 => 1,
        Some(n) => n.div_ceil(153),
        None => {
            let n = text.encode_utf16().count();
            if n <= 70 { 1 } else { n.div_ceil(67) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_units_and_segments() {
        assert_eq!(gsm7_units("Hello"), Some(5));
        assert_eq!(gsm7_units("a€b"), Some(4));
        assert_eq!(gsm7_units("it’s"), None, "curly apostrophe is not GSM-7");
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        assert_eq!(segments(&"é".repeat(160)), 1, "é is in the GSM-7 basic set");
        assert_eq!(segments(&"✓".repeat(70)), 1);
        assert_eq!(segments(&"✓".repeat(71)), 2);
    }
}
