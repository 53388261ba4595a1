//! Severity from CVSS vectors (v3.0, v3.1, v4.0 base scores computed by the
//! `cvss` crate) or from a database's qualitative label.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Qualitative severity (CVSS v3 rating scale), ordered.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CvssLevel {
    /// CVSS 0.0.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl CvssLevel {
    pub fn from_score(score: f64) -> CvssLevel {
        if score >= 9.0 {
            CvssLevel::Critical
        } else if score >= 7.0 {
            CvssLevel::High
        } else if score >= 4.0 {
            CvssLevel::Medium
        } else if score > 0.0 {
            CvssLevel::Low
        } else {
            CvssLevel::None
        }
    }

    /// GitHub's `database_specific.severity` labels (`MODERATE` is medium).
    pub fn from_label(label: &str) -> Option<CvssLevel> {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(CvssLevel::Critical),
            "high" => Some(CvssLevel::High),
            "moderate" | "medium" => Some(CvssLevel::Medium),
            "low" => Some(CvssLevel::Low),
            "none" => Some(CvssLevel::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CvssLevel::None => "none",
            CvssLevel::Low => "low",
            CvssLevel::Medium => "medium",
            CvssLevel::High => "high",
            CvssLevel::Critical => "critical",
        }
    }
}

/// What is known of a vulnerability's severity.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rated {
    /// Base score 0–10 from the highest-scoring CVSS vector, if any parsed.
    pub score: Option<f64>,
    pub level: Option<CvssLevel>,
    /// The vector the score came from.
    pub vector: Option<String>,
}

/// Base score of a CVSS vector (`CVSS:3.1/...`, `CVSS:3.0/...`, `CVSS:4.0/...`).
pub fn cvss_score(vector: &str) -> Option<f64> {
    let v: cvss::Cvss = vector.trim().parse().ok()?;
    let s = v.score();
    s.is_finite().then_some(s)
}

/// The worst rating among CVSS vectors, falling back to a label.
pub fn rate<'a>(vectors: impl IntoIterator<Item = &'a str>, label: Option<&str>) -> Rated {
    let mut best: Option<(f64, String)> = None;
    for v in vectors {
        if let Some(s) = cvss_score(v)
            && best.as_ref().is_none_or(|(b, _)| s > *b)
        {
            best = Some((s, v.trim().to_string()));
        }
    }
    match best {
        Some((s, v)) => Rated {
            score: Some(s),
            level: Some(CvssLevel::from_score(s)),
            vector: Some(v),
        },
        None => Rated {
            score: None,
            level: label.and_then(CvssLevel::from_label),
            vector: None,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nvd_reference_scores() {
        // Scores published by NVD for these vectors.
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
            Some(7.5)
        );
        assert_eq!(
            cvss_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"),
            Some(3.1)
        );
        assert_eq!(cvss_score(""), None);
        assert_eq!(cvss_score("CVSS:3.1/AV:X"), None);
    }

    #[test]
    fn worst_vector_wins_and_label_is_a_fallback() {
        let r = rate(
            [
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            ],
            Some("LOW"),
        );
        assert_eq!(r.level, Some(CvssLevel::High));
        let r = rate([""], Some("MODERATE"));
        assert_eq!((r.score, r.level), (None, Some(CvssLevel::Medium)));
        assert_eq!(rate([], None).level, None);
    }
}
