//! Links that carry a secret: a partner's link to a referral, and a staff
//! invitation. Their tokens live only in the e-mail that carried them; logs
//! and the notifications a center can list keep the link without its token.

pub use crate::referral::PARTNER_LINK_PATH;

/// Where an invitation's link points, before its token.
pub const INVITATION_LINK_PATH: &str = "/invitation/";

/// How long an invitation's link can be used.
pub const INVITATION_LIFETIME_HOURS: i64 = 72;

/// Where a password reset's link points, before its token.
pub const PASSWORD_RESET_LINK_PATH: &str = "/password-reset/";

/// How long a password reset's link can be used.
pub const PASSWORD_RESET_LIFETIME_MINUTES: u64 = 60;

const SECRET_LINK_PATHS: [&str; 3] = [
    PARTNER_LINK_PATH,
    INVITATION_LINK_PATH,
    PASSWORD_RESET_LINK_PATH,
];

/// The text with the token of every secret link cut out.
pub fn redact_secret_links(text: &str) -> String {
    SECRET_LINK_PATHS
        .iter()
        .fold(text.to_owned(), |text, path| redact(&text, path))
}

fn redact(text: &str, path: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(path) {
        let (before, after) = rest.split_at(at + path.len());
        out.push_str(before);
        let token_end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        if token_end > 0 {
            out.push('…');
        }
        rest = &after[token_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_link_tokens_are_cut_out_of_text() {
        let body = "Άνοιγμα: https://kentro.example/partner/referrals/7-abc123DEF. Ευχαριστούμε\nhttps://x/partner/referrals/";
        assert_eq!(
            redact_secret_links(body),
            "Άνοιγμα: https://kentro.example/partner/referrals/…. Ευχαριστούμε\nhttps://x/partner/referrals/"
        );
    }

    #[test]
    fn invitation_tokens_are_cut_out_of_text() {
        let body =
            "Ορίστε κωδικό: https://kentro.example/invitation/3-00ff\nΚαι πάλι: /invitation/3-aa";
        assert_eq!(
            redact_secret_links(body),
            "Ορίστε κωδικό: https://kentro.example/invitation/…\nΚαι πάλι: /invitation/…"
        );
    }

    #[test]
    fn password_reset_tokens_are_cut_out_of_text() {
        assert_eq!(
            redact_secret_links("https://k.example/password-reset/0a1b2c."),
            "https://k.example/password-reset/…."
        );
    }
}
