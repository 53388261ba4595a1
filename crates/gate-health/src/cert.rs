//! The one field of an X.509 certificate the gate needs: `notAfter`.
//!
//! A few lines of DER walking (RFC 5280 §4.1) instead of a full X.509 parser:
//! Certificate → tbsCertificate → [version] serial signature issuer validity.

/// Reads one DER TLV at the start of `data`: (tag, content, rest).
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// `notAfter` of a DER certificate, in Unix seconds.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // explicit version
        let (_, _, r) = tlv(rest)?; // serial
        rest = r;
    } else {
        rest = r; // that was the serial
    }
    let (_, _, r) = tlv(rest)?; // signature algorithm
    let (_, _, r) = tlv(r)?; // issuer
    let (0x30, validity, _) = tlv(r)? else {
        return None;
    };
    let (_, _, r) = tlv(validity)?; // notBefore
    let (tag, time, _) = tlv(r)?;
    parse_time(tag, std::str::from_utf8(time).ok()?)
}

fn parse_time(tag: u8, s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let full = match tag {
        // UTCTime YYMMDDHHMMSS: 50..99 → 19xx.
        0x17 => {
            let yy: i32 = s.get(..2)?.parse().ok()?;
            let century = if yy >= 50 { "19" } else { "20" };
            format!("{century}{s}")
        }
        0x18 => s.to_string(),
        _ => return None,
    };
    let dt = chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S").ok()?;
    Some(dt.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time(0x17, "700101000000Z"), Some(0));
        assert_eq!(parse_time(0x17, "491231235959Z"), Some(2_524_607_999));
        assert_eq!(parse_time(0x18, "20380119031408Z"), Some(2_147_483_648));
        assert_eq!(parse_time(0x18, "garbage"), None);
    }

    #[test]
    fn truncated_input_is_none() {
        assert_eq!(not_after(&[]), None);
        assert_eq!(not_after(&[0x30, 0x82, 0xff]), None);
        assert_eq!(not_after(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
    }
}
