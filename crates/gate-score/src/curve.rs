//! Monotone piecewise-linear curves from a metric's value to a score, and
//! the checks that make a curve one (`validate`).

/// Whether higher values score higher (`Rising`) or lower (`Falling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Rising,
    Falling,
}

/// A checked curve: at least two points, values strictly increasing,
/// scores within 0..=100, all rising or all falling.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve<'a> {
    points: &'a [[f64; 2]],
    pub direction: Direction,
}

impl<'a> Curve<'a> {
    /// Checks `points`; the error says what is wrong, for the key path.
    pub fn new(points: &'a [[f64; 2]]) -> Result<Self, String> {
        if points.len() < 2 {
            return Err(format!(
                "a curve needs at least two points [value, score], e.g. [[0, 0], [100, 100]]; it has {}",
                points.len()
            ));
        }
        if let Some([x, y]) = points
            .iter()
            .find(|[x, y]| !x.is_finite() || !y.is_finite() || !(0.0..=100.0).contains(y))
        {
            return Err(format!(
                "point [{x}, {y}]: scores are numbers from 0 to 100"
            ));
        }
        if let Some(w) = points.windows(2).find(|w| w[1][0] <= w[0][0]) {
            return Err(format!(
                "values must be strictly increasing: {} comes after {}",
                w[1][0], w[0][0]
            ));
        }
        let rises = points.windows(2).any(|w| w[1][1] > w[0][1]);
        let falls = points.windows(2).any(|w| w[1][1] < w[0][1]);
        if rises && falls {
            return Err(
                "the curve is not monotone: its scores rise and fall; make them all rise (higher is better) or all fall (lower is better)"
                    .into(),
            );
        }
        let direction = if falls {
            Direction::Falling
        } else {
            Direction::Rising
        };
        Ok(Curve { points, direction })
    }

    /// The score of `value`: linear between points, flat beyond the ends.
    pub fn score(&self, value: f64) -> f64 {
        let p = self.points;
        let (first, last) = (p[0], p[p.len() - 1]);
        if value <= first[0] {
            return first[1];
        }
        if value >= last[0] {
            return last[1];
        }
        for w in p.windows(2) {
            let ([x0, y0], [x1, y1]) = (w[0], w[1]);
            if value <= x1 {
                return y0 + (value - x0) * (y1 - y0) / (x1 - x0);
            }
        }
        last[1]
    }

    /// The best score the curve gives.
    pub fn best(&self) -> f64 {
        self.points.iter().map(|p| p[1]).fold(0.0, f64::max)
    }

    /// The value closest to the curve's bad end that scores at least
    /// `target`: the smallest such value on a rising curve, the largest on
    /// a falling one. `None` when no value scores that much.
    pub fn value_for(&self, target: f64) -> Option<f64> {
        if target > self.best() + 1e-9 {
            return None;
        }
        let p = self.points;
        match self.direction {
            Direction::Rising => {
                if p[0][1] >= target {
                    return Some(p[0][0]);
                }
                p.windows(2)
                    .find(|w| w[1][1] >= target)
                    .map(|w| interpolate(w[0], w[1], target))
            }
            Direction::Falling => {
                let last = p[p.len() - 1];
                if last[1] >= target {
                    return Some(last[0]);
                }
                p.windows(2)
                    .rev()
                    .find(|w| w[0][1] >= target)
                    .map(|w| interpolate(w[0], w[1], target))
            }
        }
    }

    /// Whether `value` meets `target`: at least it on a rising curve,
    /// under it on a falling one ("coverage at least 80 %", "error rate
    /// under 1 %").
    pub fn meets(&self, value: f64, target: f64) -> bool {
        match self.direction {
            Direction::Rising => value >= target,
            Direction::Falling => value < target,
        }
    }

    /// `>=` or `<`, as [`Curve::meets`] compares.
    pub fn comparison(&self) -> gate_core::Comparison {
        match self.direction {
            Direction::Rising => gate_core::Comparison::AtLeast,
            Direction::Falling => gate_core::Comparison::Below,
        }
    }
}

fn interpolate([x0, y0]: [f64; 2], [x1, y1]: [f64; 2], target: f64) -> f64 {
    if (y1 - y0).abs() < f64::EPSILON {
        x0
    } else {
        x0 + (target - y0) * (x1 - x0) / (y1 - y0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_interpolate_and_stay_flat_beyond_the_ends() {
        let pts = [[0.0, 0.0], [50.0, 30.0], [80.0, 80.0], [100.0, 100.0]];
        let c = Curve::new(&pts).unwrap();
        assert_eq!(c.score(-5.0), 0.0);
        assert_eq!(c.score(80.0), 80.0);
        assert_eq!(c.score(65.0), 55.0);
        assert_eq!(c.score(200.0), 100.0);
        assert_eq!(c.value_for(80.0), Some(80.0));
        assert_eq!(c.value_for(55.0), Some(65.0));
        assert_eq!(c.value_for(101.0), None);
    }

    #[test]
    fn falling_curves_invert_to_the_largest_value() {
        let pts = [[0.0, 100.0], [1.0, 90.0], [5.0, 50.0], [20.0, 0.0]];
        let c = Curve::new(&pts).unwrap();
        assert_eq!(c.direction, Direction::Falling);
        assert_eq!(c.score(3.0), 70.0);
        assert_eq!(c.value_for(70.0), Some(3.0));
        assert_eq!(c.value_for(0.0), Some(20.0));
        assert!(c.meets(0.99, 1.0) && !c.meets(1.0, 1.0));
    }

    #[test]
    fn bad_curves_say_why() {
        assert!(
            Curve::new(&[[0.0, 0.0]])
                .unwrap_err()
                .contains("two points")
        );
        let e = Curve::new(&[[0.0, 0.0], [50.0, 60.0], [80.0, 40.0]]).unwrap_err();
        assert!(e.contains("not monotone"), "{e}");
        let e = Curve::new(&[[10.0, 0.0], [10.0, 60.0]]).unwrap_err();
        assert!(e.contains("strictly increasing"), "{e}");
        let e = Curve::new(&[[0.0, 0.0], [10.0, 160.0]]).unwrap_err();
        assert!(e.contains("0 to 100"), "{e}");
    }
}
