//! Whether a caller is speaking another language than English. Phone utterances are a few
//! words long, too short for statistical detection of Latin-script languages (whatlang reads
//! "Bonjour, je voudrais un rendez-vous" as German), so the script comes from whatlang and
//! Latin-script languages are told by the words callers use most when asking for an appointment.

use super::words::has;

/// Greetings and request words that are not English, in the languages callers most often use.
const FOREIGN: &[&str] = &[
    // Spanish
    "hola",
    "quiero",
    "quisiera",
    "cita",
    "necesito",
    "hablar",
    "habla",
    "español",
    "para",
    "por",
    "favor",
    "mañana",
    "buenos",
    "buenas",
    "días",
    "tardes",
    "gracias",
    "usted",
    "puedo",
    "hacer",
    "una",
    "con",
    "alguien",
    "sí",
    // French
    "bonjour",
    "je",
    "voudrais",
    "rendez",
    "vous",
    "merci",
    "parlez",
    "français",
    "pour",
    "demain",
    "avec",
    "oui",
    // Portuguese
    "olá",
    "ola",
    "queria",
    "marcar",
    "uma",
    "consulta",
    "obrigado",
    "obrigada",
    "fala",
    "português",
    "amanhã",
    // German
    "guten",
    "tag",
    "ich",
    "möchte",
    "einen",
    "termin",
    "bitte",
    "danke",
    "sprechen",
    "sie",
    "deutsch",
    "morgen",
    // Italian
    "buongiorno",
    "vorrei",
    "appuntamento",
    "grazie",
    "parla",
    "italiano",
    "domani",
];

/// Words that only a Spanish, French, Portuguese, German or Italian speaker opens with.
const OPENERS: &[&str] = &["hola", "bonjour", "olá", "buongiorno", "guten", "buenos", "buenas", "necesito", "quiero"];

/// True when `text` is, by its script or its words, not English.
pub fn foreign(text: &str) -> bool {
    if let Some(info) = whatlang::detect_script(text)
        && info != whatlang::Script::Latin
    {
        return true;
    }
    let words = super::words(text);
    let foreign = words.iter().filter(|w| FOREIGN.contains(&w.as_str())).count();
    foreign >= 2 || has(&words, OPENERS)
}
