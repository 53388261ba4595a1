//! Latency histograms: HDR histograms in microseconds, serialised as
//! base64 of the V2-deflate encoding (the format HdrHistogram uses in every
//! language), so that shards merge exactly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use serde::{Deserialize, Serialize, Serializer};

/// A latency histogram in microseconds (3 significant digits by default;
/// it grows to fit the largest value).
#[derive(Clone, Debug, PartialEq)]
pub struct Latency(pub Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Latency::new(3)
    }
}

impl Latency {
    /// An empty histogram with `sigfig` significant digits (1 to 5). It
    /// starts small and grows to the largest value recorded, so an idle
    /// endpoint or a fast one costs a few KiB.
    pub fn new(sigfig: u8) -> Self {
        let sigfig = sigfig.clamp(1, 5);
        // Invariant: hdrhistogram accepts every sigfig in 1..=5.
        #[allow(clippy::expect_used)]
        let mut h = Histogram::new(sigfig).expect("sigfig 1..=5 is valid");
        h.auto(true);
        Latency(h)
    }

    /// Records one latency.
    pub fn record_us(&mut self, us: u64) {
        // `record` grows the histogram (auto-resize); `saturating_record`
        // would clamp to the current top instead.
        let v = us.max(1);
        if self.0.record(v).is_err() {
            self.0.saturating_record(v);
        }
    }

    /// Adds every value of `other` (exact: counts are summed bucket by bucket).
    pub fn add(&mut self, other: &Latency) {
        if self.0.add(&other.0).is_err() {
            // Only when `other` has values beyond our range and resizing
            // failed: record them one by one, saturating.
            for v in other.0.iter_recorded() {
                let (value, n) = (v.value_iterated_to(), v.count_at_value());
                if self.0.record_n(value, n).is_err() {
                    self.0.saturating_record_n(value, n);
                }
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// Value at percentile `p` (0 to 100), in milliseconds; 0 when empty.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.value_at_percentile(p) as f64 / 1000.0
    }

    pub fn mean_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.mean() / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.max() as f64 / 1000.0
    }

    pub fn min_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.min() as f64 / 1000.0
    }

    /// base64 of the V2-deflate encoding.
    pub fn encode(&self) -> Result<String, String> {
        let mut buf = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut buf)
            .map_err(|e| format!("cannot encode a histogram: {e:?}"))?;
        Ok(STANDARD.encode(buf))
    }

    /// Reads base64 of a V2 or V2-deflate encoding.
    pub fn decode(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| format!("histogram is not base64: {e}"))?;
        let mut h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("histogram is not a V2 HdrHistogram encoding: {e:?}"))?;
        h.auto(true);
        Ok(Latency(h))
    }
}

impl Serialize for Latency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.encode().map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Latency::decode(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trips() {
        let mut h = Latency::default();
        for v in [1, 10, 100, 1000, 123_456, 7_000_000] {
            h.record_us(v);
        }
        let back = Latency::decode(&h.encode().unwrap()).unwrap();
        assert_eq!(back.count(), 6);
        // Grown to fit: the largest value is kept (to 3 significant digits).
        assert!(
            (h.max_ms() - 7000.0).abs() < 7000.0 * 0.001,
            "{}",
            h.max_ms()
        );
        assert_eq!(back.percentile_ms(50.0), h.percentile_ms(50.0));
        assert_eq!(back.max_ms(), h.max_ms());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Latency::decode("not base64 !!").is_err());
        assert!(Latency::decode("aGVsbG8=").is_err());
    }
}
