//! Relay global IDs: opaque strings naming a type and a key. Decoding one
//! never grants access: every lookup is scoped to the caller's tenant, so
//! another tenant's ID finds nothing, exactly like a made-up one. Every ID
//! the API gives or takes is a typed key of the domain's (`keys.rs`): the
//! kind travels with the type, never as a string at a call.

use crate::error::ApiError;
use async_graphql::ID;
use kentro_domain::global_id;
use kentro_domain::keys::RecordKey;

use crate::error::not_found;

fn encode(kind: &str, key: i64) -> ID {
    ID(global_id::encode(kind, key))
}

/// The key of an ID of `kind`; anything else is `NOT_FOUND`, as an unknown object is.
fn decode(kind: &str, id: &ID) -> Result<i64, ApiError> {
    global_id::decode(kind, id.as_str()).ok_or_else(|| not_found(kind))
}

pub(crate) fn encode_key<K: RecordKey>(key: K) -> ID {
    encode(K::KIND, key.raw())
}

/// The key an ID of `K`'s kind names; anything else is `NOT_FOUND`.
pub(crate) fn decode_key<K: RecordKey>(id: &ID) -> Result<K, ApiError> {
    decode(K::KIND, id).map(K::from_raw)
}

/// The key an input field's ID names; anything else adds the field's
/// problem ("is not a Person ID") to `problems`, which the caller reports
/// with the others in one `VALIDATION` error.
pub(crate) fn decode_field<K: RecordKey>(
    field: &str,
    value: &ID,
    problems: &mut Vec<(String, String)>,
) -> Option<K> {
    decode_key(value)
        .map_err(|_| problems.push((field.to_owned(), format!("is not a {} ID", K::KIND))))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_decodes_only_as_its_own_kind() {
        use kentro_domain::keys::{AccountId, TenantId};
        let id = encode_key(AccountId::new(42));
        assert_eq!(decode_key::<AccountId>(&id).unwrap(), AccountId::new(42));
        assert!(decode_key::<TenantId>(&id).is_err());
        assert!(decode_key::<AccountId>(&ID("garbage".into())).is_err());
    }
}
