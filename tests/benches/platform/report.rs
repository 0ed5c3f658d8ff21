//! The bench's one table: each row a measure, Slipway's figure beside the raw engine's
//! from the same run, and whether it meets its target.

use std::time::Duration;

pub struct Row {
    pub measure: String,
    pub slipway: String,
    pub baseline: String,
    /// Slipway's figure over the baseline's.
    pub ratio: Option<f64>,
    pub target: String,
    /// `None` for rows without a target (shown for information).
    pub met: Option<bool>,
}

#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn add(&mut self, row: Row) {
        // Printed as it comes, so a long run shows progress and a crash keeps its rows.
        println!(
            "    {}: {} (baseline {}){}",
            row.measure,
            row.slipway,
            row.baseline,
            verdict(row.met)
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        );
        self.rows.push(row);
    }

    pub fn print(&self) {
        let headers = ["measure", "slipway", "raw baseline", "ratio", "target", ""];
        let cells: Vec<[String; 6]> = self
            .rows
            .iter()
            .map(|row| {
                [
                    row.measure.clone(),
                    row.slipway.clone(),
                    row.baseline.clone(),
                    row.ratio.map_or("-".into(), |r| format!("{r:.2}")),
                    row.target.clone(),
                    verdict(row.met).unwrap_or_default().to_string(),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..headers.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|c| c[i].chars().count())
                    .chain([headers[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            println!("| {} |", padded.join(" | "));
        };
        println!();
        line(&headers.map(String::from));
        line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
        for row in &cells {
            line(row);
        }
        let missed = self.rows.iter().filter(|r| r.met == Some(false)).count();
        let met = self.rows.iter().filter(|r| r.met == Some(true)).count();
        println!("\n{met} target(s) met, {missed} missed");
    }
}

fn verdict(met: Option<bool>) -> Option<&'static str> {
    met.map(|met| if met { "PASS" } else { "MISS" })
}

/// The `p`-th percentile (0..=100) of `samples`, by nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 50.0)
}

pub fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

pub fn ratio(slipway: Duration, baseline: Duration) -> Option<f64> {
    (!baseline.is_zero()).then(|| slipway.as_secs_f64() / baseline.as_secs_f64())
}

/// A time the server reports in microseconds: in µs below a millisecond, else as [`ms`].
pub fn micros(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else {
        ms(Duration::from_micros(us))
    }
}

pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

pub fn kb(bytes: u64) -> String {
    format!("{:.0} KB", bytes as f64 / 1e3)
}
