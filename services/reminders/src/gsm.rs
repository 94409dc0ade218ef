//! SMS encoding: what a text costs, in segments, and how to keep a French
//! text in the GSM 03.38 alphabet.
//!
//! A single SMS holds 160 GSM-7 characters (153 per part of a longer one),
//! or 70 UCS-2 characters (67 per part). One character outside GSM-7 turns
//! the whole message into UCS-2: a 100-character French reminder with one
//! "ê" costs two segments instead of one. GSM-7 has é è à ù ì ò É Ç Ä Ö Ñ Ü
//! ä ö ñ ü; [`fit_gsm`] keeps those and replaces only what would force
//! UCS-2 (ê â î ô û ë ï ç œ, typographic quotes and apostrophes, no-break
//! spaces…). Extension characters (€ [ ] { } \ ^ ~ | and form feed) take
//! two septets each and are never split between parts.

/// How a text is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// What a text costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub encoding: Encoding,
    pub segments: u32,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
}

/// The GSM 03.38 basic character set, in table order.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: each costs an escape septet and itself.
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets `c` takes in GSM-7, or `None` outside the alphabet.
pub fn septets(c: char) -> Option<u32> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The segments `text` is sent as.
pub fn cost(text: &str) -> Cost {
    let gsm: Option<Vec<u32>> = text.chars().map(septets).collect();
    match gsm {
        Some(sizes) => {
            let units: u32 = sizes.iter().sum();
            let segments = if units <= 160 {
                1
            } else {
                parts(sizes.into_iter(), 153)
            };
            Cost {
                encoding: Encoding::Gsm7,
                segments,
                units,
            }
        }
        None => {
            let sizes = text.chars().map(|c| c.len_utf16() as u32);
            let units: u32 = text.chars().map(|c| c.len_utf16() as u32).sum();
            let segments = if units <= 70 { 1 } else { parts(sizes, 67) };
            Cost {
                encoding: Encoding::Ucs2,
                segments,
                units,
            }
        }
    }
}

/// Parts of `per_part` units, a character never split between two.
fn parts(sizes: impl Iterator<Item = u32>, per_part: u32) -> u32 {
    let mut count = 1;
    let mut used = 0;
    for size in sizes {
        if used + size > per_part {
            count += 1;
            used = 0;
        }
        used += size;
    }
    count
}

/// `text` with every character GSM-7 lacks replaced by its nearest GSM-7
/// spelling, when the text is meant to be GSM-7 (Latin script). Accents
/// GSM-7 has are kept. A character with no Latin spelling is left as it is
/// (the text then goes as UCS-2, as a text in Arabic must).
pub fn fit_gsm(text: &str) -> String {
    // French quotes sit inside spaces: « Île » becomes "Ile".
    let mut text = text.to_owned();
    for space in [' ', '\u{a0}', '\u{202f}'] {
        text = text
            .replace(&format!("«{space}"), "«")
            .replace(&format!("{space}»"), "»");
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if septets(c).is_some() {
            out.push(c);
            continue;
        }
        let replacement = match c {
            'ê' | 'ë' | 'ē' | 'ę' => "e",
            'â' | 'á' | 'ã' | 'ā' | 'ą' => "a",
            'î' | 'ï' | 'í' | 'ī' => "i",
            'ô' | 'ó' | 'õ' | 'ō' => "o",
            'û' | 'ú' | 'ū' => "u",
            'ÿ' | 'ý' => "y",
            'ç' | 'ć' | 'č' => "c",
            'À' | 'Â' | 'Á' | 'Ã' => "A",
            'È' | 'Ê' | 'Ë' => "E",
            'Î' | 'Ï' | 'Í' => "I",
            'Ô' | 'Ó' | 'Õ' => "O",
            'Ù' | 'Û' | 'Ú' => "U",
            'Ÿ' | 'Ý' => "Y",
            'œ' => "oe",
            'Œ' => "OE",
            'š' => "s",
            'Š' => "S",
            'ž' => "z",
            'Ž' => "Z",
            'ł' => "l",
            'Ł' => "L",
            '\u{2019}' | '\u{2018}' | '\u{2032}' | '`' => "'",
            '\u{201c}' | '\u{201d}' | '«' | '»' | '\u{2033}' => "\"",
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\t' => " ",
            '\u{2013}' | '\u{2014}' | '\u{2212}' | '\u{2010}' | '\u{2011}' => "-",
            '\u{2026}' => "...",
            '\u{2022}' | '·' => "-",
            '°' => "o",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(replacement);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gsm_text_costs_one_segment_up_to_160_septets_then_153_per_part() {
        assert_eq!(
            cost(&"a".repeat(160)),
            Cost {
                encoding: Encoding::Gsm7,
                segments: 1,
                units: 160
            }
        );
        assert_eq!(cost(&"a".repeat(161)).segments, 2);
        assert_eq!(cost(&"a".repeat(306)).segments, 2);
        assert_eq!(cost(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extension_characters_count_double_and_are_never_split() {
        assert_eq!(cost(&"€".repeat(80)).units, 160);
        assert_eq!(cost(&"€".repeat(80)).segments, 1);
        assert_eq!(cost(&"€".repeat(81)).segments, 2);
        // 152 septets then a two-septet euro: it goes to the next part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(cost(&text).units, 164);
        assert_eq!(cost(&text).segments, 2);
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(
            cost(&text).segments,
            3,
            "the euro did not fit the first part"
        );
    }

    #[test]
    fn one_character_outside_gsm_makes_the_whole_text_ucs2() {
        let text = format!("{}ê", "a".repeat(69));
        assert_eq!(cost(&text).encoding, Encoding::Ucs2);
        assert_eq!(cost(&text).segments, 1);
        assert_eq!(cost(&format!("{}ê", "a".repeat(70))).segments, 2);
        assert_eq!(cost(&"ب".repeat(134)).segments, 2);
        assert_eq!(cost(&"ب".repeat(135)).segments, 3);
        // An emoji is two UTF-16 units and is not split.
        let text = format!("{}😀", "ب".repeat(69));
        assert_eq!(cost(&text).units, 71);
        assert_eq!(cost(&text).segments, 2);
    }

    #[test]
    fn french_keeps_the_accents_gsm_has_and_loses_only_the_others() {
        let text = "Rendez-vous à l’Espace numérique « Île de Sèvres » : fenêtre, cœur, garçon, Élodie, Ça, où";
        let fitted = fit_gsm(text);
        assert_eq!(
            fitted,
            "Rendez-vous à l'Espace numérique \"Ile de Sèvres\" : fenetre, coeur, garcon, Élodie, Ça, où"
        );
        assert_eq!(cost(&fitted).encoding, Encoding::Gsm7);
        assert_eq!(cost(text).encoding, Encoding::Ucs2);
        assert_eq!(fit_gsm("12\u{a0}rue"), "12 rue");
    }

    #[test]
    fn arabic_stays_arabic() {
        let text = "موعدك يوم الثلاثاء";
        assert_eq!(fit_gsm(text), text);
        assert_eq!(cost(text).encoding, Encoding::Ucs2);
    }
}
