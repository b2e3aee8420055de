//! Medians and percentiles of measured times: one rule for every report that prints them.

/// The nearest-rank percentile `q` (in `[0, 1]`) of `values`: the smallest value that at least a
/// share `q` of them do not exceed. Sorts `values`; `None` when there are none.
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

/// The median of `values`: the middle one, or the mean of the two middle ones. Sorts `values`;
/// `None` when there are none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut [7.0]), Some(7.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn the_percentile_is_the_nearest_rank() {
        let mut ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut ten, 0.9), Some(9.0));
        assert_eq!(percentile(&mut ten, 0.95), Some(10.0));
        assert_eq!(percentile(&mut ten, 0.0), Some(1.0));
        assert_eq!(percentile(&mut ten, 1.0), Some(10.0));
        assert_eq!(percentile(&mut [], 0.5), None);
    }
}
