//! Name matching across Greek and Latin spellings.
//!
//! Staff type names as people give them: «Παπαδοπούλου», "Papadopoulou",
//! "PAPADOPOULOU", "Papadopulu". To find one from another, every name is
//! reduced to a *search key*: Greek is transliterated by ELOT 743, accents and
//! case are dropped, and spellings that sound alike are folded together
//! (ου/u, η/ι/υ/ει/οι → i, μπ/b, ντ/d, ...). Equal or similar keys (trigram
//! similarity, as PostgreSQL's pg_trgm computes it) are candidate matches.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;

fn is_greek_vowel(c: char) -> bool {
    matches!(c, 'α' | 'ε' | 'η' | 'ι' | 'ο' | 'υ' | 'ω')
}

/// After αυ/ευ/ηυ: "v" before a vowel or a voiced consonant, else "f".
fn upsilon_is_voiced(next: Option<char>) -> bool {
    next.is_some_and(|c| {
        is_greek_vowel(c) || matches!(c, 'β' | 'γ' | 'δ' | 'ζ' | 'λ' | 'μ' | 'ν' | 'ρ')
    })
}

/// ELOT 743 transliteration of Greek text to lowercase Latin (other
/// characters pass through lowercased, accents removed).
pub fn transliterate_elot743(text: &str) -> String {
    transliterate(text, None)
}

/// Marks where a diaeresis separates two vowels, so that folding does not
/// join them again ("αϊ" is "a-i", never the "e" of "αι").
const VOWEL_BREAK: char = '·';

/// Transliterates, writing `vowel_break` before a vowel that carries a
/// diaeresis after another vowel.
fn transliterate(text: &str, vowel_break: Option<char>) -> String {
    // Keep the diaeresis apart from other accents: "αϋ" is "ay", not "av".
    let mut letters: Vec<(char, bool)> = Vec::new();
    for c in text.nfd() {
        match c {
            '\u{0308}' => {
                if let Some(last) = letters.last_mut() {
                    last.1 = true;
                }
            }
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c => letters.extend(c.to_lowercase().map(|l| (l, false))),
        }
    }
    let mut out = String::with_capacity(text.len());
    let at = |i: usize| letters.get(i).map(|(c, _)| *c);
    let has_diaeresis = |i: usize| letters.get(i).is_some_and(|(_, d)| *d);
    let at_word_start = |i: usize| i == 0 || !at(i - 1).is_some_and(char::is_alphabetic);
    let mut i = 0;
    while i < letters.len() {
        let c = letters[i].0;
        if let Some(mark) = vowel_break
            && has_diaeresis(i)
            && i > 0
            && at(i - 1).is_some_and(is_greek_vowel)
        {
            out.push(mark);
        }
        let next = at(i + 1);
        let pair = (c, next.unwrap_or(' '));
        let (latin, consumed): (&str, usize) = match pair {
            ('α' | 'ε' | 'η', 'υ') if !has_diaeresis(i + 1) => {
                let base = match c {
                    'α' => "a",
                    'ε' => "e",
                    _ => "i",
                };
                out.push_str(base);
                let voiced = upsilon_is_voiced(at(i + 2));
                (if voiced { "v" } else { "f" }, 2)
            }
            ('ο', 'υ') if !has_diaeresis(i + 1) => ("ou", 2),
            ('μ', 'π') => {
                let word_end = !at(i + 2).is_some_and(char::is_alphabetic);
                (
                    if at_word_start(i) || word_end {
                        "b"
                    } else {
                        "mp"
                    },
                    2,
                )
            }
            ('ν', 'τ') => ("nt", 2),
            ('γ', 'γ') => ("ng", 2),
            ('γ', 'κ') => ("gk", 2),
            ('γ', 'ξ') => ("nx", 2),
            ('γ', 'χ') => ("nch", 2),
            _ => {
                let single = match c {
                    'α' => "a",
                    'β' => "v",
                    'γ' => "g",
                    'δ' => "d",
                    'ε' => "e",
                    'ζ' => "z",
                    'η' => "i",
                    'θ' => "th",
                    'ι' => "i",
                    'κ' => "k",
                    'λ' => "l",
                    'μ' => "m",
                    'ν' => "n",
                    'ξ' => "x",
                    'ο' => "o",
                    'π' => "p",
                    'ρ' => "r",
                    'σ' | 'ς' => "s",
                    'τ' => "t",
                    'υ' => "y",
                    'φ' => "f",
                    'χ' => "ch",
                    'ψ' => "ps",
                    'ω' => "o",
                    _ => {
                        out.push(c);
                        i += 1;
                        continue;
                    }
                };
                (single, 1)
            }
        };
        out.push_str(latin);
        i += consumed;
    }
    out
}

/// Spellings that sound alike, folded to one (applied in order, longest first).
const FOLDS: [(&str, &str); 22] = [
    ("ou", "u"),
    ("ph", "f"),
    ("th", "t"),
    ("ch", "h"),
    ("kh", "h"),
    ("mp", "b"),
    ("nt", "d"),
    ("gk", "g"),
    ("gg", "g"),
    ("ng", "g"),
    ("ks", "x"),
    ("ei", "i"),
    ("oi", "i"),
    ("yi", "i"),
    ("ai", "e"),
    ("y", "i"),
    ("j", "i"),
    ("w", "o"),
    ("c", "k"),
    ("q", "k"),
    ("v", "b"),
    ("z", "s"),
];

/// The key a name is matched by: lowercase Latin letters and single spaces.
pub fn search_key(name: &str) -> String {
    let mut key = transliterate(name, Some(VOWEL_BREAK));
    key = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphabetic() || c == VOWEL_BREAK {
                c
            } else {
                ' '
            }
        })
        .collect();
    for (from, to) in FOLDS {
        key = key.replace(from, to);
    }
    let mut out = String::with_capacity(key.len());
    for c in key.chars().filter(|c| *c != VOWEL_BREAK) {
        let repeated = out.ends_with(c) && c != ' ';
        let leading_space = c == ' ' && (out.is_empty() || out.ends_with(' '));
        if !repeated && !leading_space {
            out.push(c);
        }
    }
    out.trim_end().to_owned()
}

/// The key names sort by in Greek alphabetical order: accents, diaeresis and
/// case ignored, final sigma as sigma. Greek letters are in alphabetical
/// order in Unicode once folded, so comparing keys compares names; Latin
/// names sort before Greek ones.
pub fn sort_key(name: &str) -> String {
    name.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// Trigrams as pg_trgm makes them: each word padded with two spaces before and one after.
fn trigrams(key: &str) -> BTreeSet<[char; 3]> {
    let mut set = BTreeSet::new();
    for word in key.split_whitespace() {
        let padded: Vec<char> = format!("  {word} ").chars().collect();
        for window in padded.windows(3) {
            set.insert([window[0], window[1], window[2]]);
        }
    }
    set
}

/// Shared trigrams over all trigrams, 0 to 1 (pg_trgm's `similarity`).
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (trigrams(a), trigrams(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f32 / union as f32
}

/// Similarity from which two names count as possibly the same person.
pub const SIMILAR_NAME: f32 = 0.45;

#[cfg(test)]
mod tests {
    #[test]
    fn names_sort_in_greek_alphabetical_order_with_accents_ignored() {
        let mut names = vec![
            "Ωρίωνας",
            "Άννα",
            "Ζωή",
            "αλέξης",
            "Σοφία",
            "Ηλίας",
            "Ευάγγελος",
            "Ψαρράς",
        ];
        names.sort_by_key(|n| super::sort_key(n));
        assert_eq!(
            names,
            [
                "αλέξης",
                "Άννα",
                "Ευάγγελος",
                "Ζωή",
                "Ηλίας",
                "Σοφία",
                "Ψαρράς",
                "Ωρίωνας"
            ]
        );
        assert_eq!(super::sort_key("Ξένος"), super::sort_key("ξενοσ"));
        assert!(super::sort_key("Ρήγας") < super::sort_key("Σάββας"));
    }

    use super::*;

    #[test]
    fn elot743_transliterates_common_names() {
        assert_eq!(transliterate_elot743("Παπαδοπούλου"), "papadopoulou");
        assert_eq!(
            transliterate_elot743("Γιώργος Χατζηγεωργίου"),
            "giorgos chatzigeorgiou"
        );
        assert_eq!(transliterate_elot743("Ευάγγελος"), "evangelos");
        assert_eq!(transliterate_elot743("Ευθυμίου"), "efthymiou");
        assert_eq!(transliterate_elot743("Μπακογιάννη"), "bakogianni");
        assert_eq!(transliterate_elot743("Λαμπράκης"), "lamprakis");
        assert_eq!(transliterate_elot743("Αγγελική"), "angeliki");
        assert_eq!(transliterate_elot743("Ψαρρός"), "psarros");
        assert_eq!(transliterate_elot743("Ξανθή"), "xanthi");
        assert_eq!(transliterate_elot743("Ταΰγετος"), "taygetos");
    }

    #[test]
    fn greek_and_latin_spellings_share_a_key() {
        for (greek, latin) in [
            ("Παπαδοπούλου", "Papadopoulou"),
            ("Παπαδοπούλου", "PAPADOPOULOU"),
            ("Παπαδοπούλου", "Papadopulu"),
            ("Γιώργος", "Yiorgos"),
            ("Δημήτρης", "Dimitris"),
            ("Φωτεινή", "Foteini"),
            ("Ευάγγελος", "Evangelos"),
            ("Χρήστος", "Christos"),
            ("Κωνσταντίνος", "Konstantinos"),
            ("Κωνσταντίνος", "Constantinos"),
        ] {
            let (g, l) = (search_key(greek), search_key(latin));
            assert!(
                g == l || similarity(&g, &l) >= SIMILAR_NAME,
                "{greek} ({g}) and {latin} ({l}): {}",
                similarity(&g, &l)
            );
        }
    }

    #[test]
    fn different_names_are_not_similar() {
        for (a, b) in [
            ("Παπαδοπούλου", "Γεωργίου"),
            ("Μαρία Νικολάου", "Ελένη Παπαδάκη"),
            ("Dimitris", "Konstantinos"),
        ] {
            let s = similarity(&search_key(a), &search_key(b));
            assert!(s < SIMILAR_NAME, "{a} vs {b}: {s}");
        }
    }

    #[test]
    fn a_diaeresis_keeps_two_vowels_apart() {
        // ϊ and ΐ are "i" after a vowel they do not join: Αϊβαλιώτης is not
        // Εβαλιώτης, nor Μαΐστρος Μέστρος.
        assert_ne!(search_key("Αϊβαλιώτης"), search_key("Εβαλιώτης"));
        assert_ne!(search_key("Μαΐστρος"), search_key("Μέστρος"));
        assert!(similarity(&search_key("Μαΐστρος"), &search_key("Μέστρος")) < SIMILAR_NAME);
        // The same name in capitals (Ϊ) and with the accent moved keeps its key.
        assert_eq!(search_key("ΑΪΒΑΛΙΩΤΗΣ"), search_key("Αϊβαλιώτης"));
        assert_eq!(search_key("Μαΐστρος"), search_key("ΜΑΪΣΤΡΟΣ"));
        // Without a diaeresis the digraph folds as before.
        assert_eq!(search_key("Μαίστρος"), search_key("Μέστρος"));
        // The plain transliteration is unchanged.
        assert_eq!(transliterate_elot743("Αϊβαλιώτης"), "aivaliotis");
    }

    #[test]
    fn keys_ignore_case_accents_punctuation_and_spacing() {
        assert_eq!(
            search_key("  Μαρία-Ελένη   ΚΩΣΤΑ "),
            search_key("μαρια ελενη κωστα")
        );
        assert_eq!(search_key("José"), search_key("jose"));
    }
}
