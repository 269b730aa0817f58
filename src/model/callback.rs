//! The provider's callback notification as both ends see it: the query parameters it carries,
//! in the order the provider writes them, and its checksum (lowercase hex SHA-256 of the
//! values, then the merchant's secret). The sandbox makes them; `serve` verifies them.

use sha2::{Digest, Sha256};

/// The parameters of a callback, in the provider's order; `checksum` comes last.
pub const PARAMETERS: [&str; 6] = [
    "orderUuid",
    "status",
    "paymentMethod",
    "amount",
    "createdAt",
    "timestamp",
];

/// The checksum of values and secret: lowercase hex SHA-256 of their concatenation.
pub fn checksum<'a>(values: impl IntoIterator<Item = &'a str>, secret: &str) -> String {
    let mut hash = Sha256::new();
    for value in values {
        hash.update(value.as_bytes());
    }
    hash.update(secret.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The query of a callback with `values` for [`PARAMETERS`] and its checksum, URL-encoded.
pub fn query(values: &[&str; 6], secret: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in PARAMETERS.iter().zip(values) {
        query.append_pair(name, value);
    }
    query.append_pair("checksum", &checksum(values.iter().copied(), secret));
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_carries_every_value_and_their_checksum() {
        let query = query(
            &["ODR1", "PARTIAL REFUNDED", "Invoice", "10.50", "1", "2"],
            "k",
        );
        let sum = checksum(
            ["ODR1", "PARTIAL REFUNDED", "Invoice", "10.50", "1", "2"],
            "k",
        );
        assert_eq!(
            query,
            format!("orderUuid=ODR1&status=PARTIAL+REFUNDED&paymentMethod=Invoice&amount=10.50&createdAt=1&timestamp=2&checksum={sum}")
        );
        assert_eq!(sum.len(), 64);
        assert!(sum
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}
