//! Bar charts as inline SVG, drawn on the server: numbers in, an `<svg class="chart">`
//! string out. No JavaScript, no external asset; the drawing scales to the screen's width
//! (`viewBox`) and keeps its text large enough to read on a phone. Stacked bars for one or
//! more series, a y axis with three round steps, x labels thinned to fit, a legend, and a
//! note in the middle when there is nothing to draw. Pure: no I/O, every text escaped.

use std::fmt::Write;

use crate::portal::http::escape;

/// One coloured part of every bar.
pub struct Series<'a> {
    pub name: &'a str,
    /// A fill colour, `#rrggbb` (ours, never from the operator).
    pub colour: &'static str,
    pub values: &'a [i64],
}

/// What to draw.
pub struct Chart<'a> {
    /// The element's id (`chart-revenue`).
    pub id: &'a str,
    /// Read by screen readers (`<title>`) and shown on top.
    pub title: &'a str,
    /// One per bar (a day, an hour), already short.
    pub labels: &'a [String],
    pub series: &'a [Series<'a>],
    /// How a value reads on the y axis (`KES 150`, `2 GB`, `4`).
    pub unit: fn(i64) -> String,
    /// Shown instead of bars when every value is 0 or there are none.
    pub empty_note: &'a str,
}

const WIDTH: i64 = 320;
const HEIGHT: i64 = 200;
const LEFT: i64 = 52;
const RIGHT: i64 = 6;
const TOP: i64 = 30;
const BOTTOM: i64 = 22;

/// The top of the y axis: the smallest of 2, 4, or 1, 2, 5 × 10ⁿ (n ≥ 1) at or above `v`,
/// so that its half, the middle line, is a whole number too.
pub fn round_up(v: i64) -> i64 {
    if v <= 4 {
        return if v <= 2 { 2 } else { 4 };
    }
    let mut step = 10i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= v {
                return step.saturating_mul(m);
            }
        }
        if step > i64::MAX / 10 {
            return i64::MAX;
        }
        step *= 10;
    }
}

/// The chart as `<svg class="chart" id="…">…</svg>`.
pub fn bars(chart: &Chart) -> String {
    let n = chart.labels.len();
    let totals: Vec<i64> = (0..n).map(|i| chart.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0).max(0)).sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let top = round_up(max);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let mut svg = String::with_capacity(2048 + n * 160);
    let title = escape(chart.title);
    let _ = write!(
        svg,
        "<svg class=\"chart\" id=\"{}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" aria-label=\"{title}\" \
         font-family=\"sans-serif\" font-size=\"12\"><title>{title}</title>\
         <text x=\"0\" y=\"12\" font-weight=\"bold\" font-size=\"13\">{title}</text>",
        escape(chart.id)
    );
    // Legend, top right, when there is more than one series.
    if chart.series.len() > 1 {
        let mut x = WIDTH - RIGHT;
        for s in chart.series.iter().rev() {
            let name = escape(s.name);
            x -= 16 + 7 * s.name.chars().count() as i64;
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"16\" width=\"9\" height=\"9\" fill=\"{}\"/><text x=\"{}\" y=\"25\">{name}</text>",
                s.colour,
                x + 12
            );
        }
    }
    // Y axis: 0, half and top, with grid lines.
    for k in 0..=2 {
        let value = top / 2 * k;
        let y = TOP + plot_h - plot_h * k / 2;
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ccc\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 4,
            y + 4,
            escape(&(chart.unit)(value))
        );
    }
    if max == 0 {
        let _ = write!(
            svg,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\">{}</text></svg>",
            LEFT + plot_w / 2,
            TOP + plot_h / 2,
            escape(chart.empty_note)
        );
        return svg;
    }
    // Bars, in tenths of a unit so 48 bars still fit a 302-unit plot.
    let slot = plot_w * 10 / n as i64;
    let bar = (slot * 8 / 10).max(10);
    let every = n.div_ceil(8).max(1);
    for (i, label) in chart.labels.iter().enumerate() {
        let x = LEFT * 10 + slot * i as i64 + (slot - bar) / 2;
        let mut base = TOP + plot_h;
        for s in chart.series {
            let v = s.values.get(i).copied().unwrap_or(0).max(0);
            if v == 0 {
                continue;
            }
            let h = ((v as i128 * plot_h as i128 / top as i128) as i64).max(1);
            base -= h;
            let _ = write!(
                svg,
                "<rect x=\"{}.{}\" y=\"{base}\" width=\"{}.{}\" height=\"{h}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
                x / 10,
                x % 10,
                bar / 10,
                bar % 10,
                s.colour,
                escape(label),
                escape(s.name),
                escape(&(chart.unit)(v))
            );
        }
        if i % every == 0 {
            let cx = x + bar / 2;
            let _ = write!(
                svg,
                "<text x=\"{}.{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                cx / 10,
                cx % 10,
                HEIGHT - 6,
                escape(label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: i64) -> String {
        v.to_string()
    }

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|i| i.to_string()).collect()
    }

    /// The `height` of every `<rect … fill="colour">` in order.
    fn heights(svg: &str, colour: &str) -> Vec<i64> {
        svg.split("<rect ")
            .skip(1)
            .filter(|r| r.contains(&format!("fill=\"{colour}\"")) && r.contains("<title>"))
            .map(|r| r.split("height=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn the_axis_top_is_a_round_number() {
        assert_eq!([0, 1, 2, 3, 5, 7, 10, 11, 150, 999, 1001].map(round_up), [2, 2, 2, 4, 10, 10, 10, 20, 200, 1000, 2000]);
        for v in [1, 3, 7, 30, 499, 123_456] {
            assert_eq!(round_up(v) % 2, 0, "{v}: the middle line is a whole number");
        }
        assert_eq!(round_up(i64::MAX), i64::MAX);
    }

    #[test]
    fn bars_scale_to_the_largest_total_and_stack() {
        let labels = labels(3);
        let a = [50, 100, 0];
        let b = [50, 0, 25];
        let series = [Series { name: "M-Pesa", colour: "#0a7d3b", values: &a }, Series { name: "Vouchers", colour: "#e08a00", values: &b }];
        let svg = bars(&Chart { id: "chart-revenue", title: "Revenue", labels: &labels, series: &series, unit: plain, empty_note: "none" });
        assert!(svg.starts_with("<svg class=\"chart\" id=\"chart-revenue\""), "{svg}");
        assert!(svg.ends_with("</svg>"));
        // Plot height 148: a total of 100 fills it (the top is 100).
        assert_eq!(heights(&svg, "#0a7d3b"), [74, 148]);
        assert_eq!(heights(&svg, "#e08a00"), [74, 37]);
        assert!(svg.contains(">100</text>") && svg.contains(">50</text>") && svg.contains(">0</text>"), "y labels: {svg}");
        assert!(svg.contains(">Vouchers</text>"), "legend");
        assert!(!svg.contains("class=\"empty\""));
    }

    #[test]
    fn no_data_draws_an_empty_chart_with_a_note() {
        let labels = labels(30);
        let zeros = [0; 30];
        let series = [Series { name: "Data", colour: "#0a7d3b", values: &zeros }];
        let svg = bars(&Chart { id: "chart-data", title: "Data", labels: &labels, series: &series, unit: plain, empty_note: "No data yet" });
        assert!(svg.contains("class=\"empty\"") && svg.contains("No data yet"), "{svg}");
        assert!(heights(&svg, "#0a7d3b").is_empty());
        let none: [String; 0] = [];
        let svg = bars(&Chart { id: "chart-data", title: "Data", labels: &none, series: &[], unit: plain, empty_note: "empty" });
        assert!(svg.contains(">empty</text>"));
    }

    #[test]
    fn every_text_is_escaped() {
        let labels = vec!["<b>".to_string()];
        let v = [3];
        let series = [Series { name: "a&b", colour: "#000000", values: &v }, Series { name: "\"x\"", colour: "#111111", values: &v }];
        let svg = bars(&Chart { id: "c\"d", title: "<script>", labels: &labels, series: &series, unit: |v| format!("<{v}>"), empty_note: "" });
        assert!(!svg.contains("<script>") && !svg.contains("<b>") && !svg.contains("a&b") && !svg.contains("<3>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a&amp;b") && svg.contains("id=\"c&quot;d\""));
    }

    #[test]
    fn many_bars_fit_and_their_labels_are_thinned() {
        let labels = labels(48);
        let v: Vec<i64> = (0..48).collect();
        let series = [Series { name: "Devices", colour: "#0a7d3b", values: &v }];
        let svg = bars(&Chart { id: "chart-devices", title: "Devices", labels: &labels, series: &series, unit: plain, empty_note: "" });
        assert_eq!(heights(&svg, "#0a7d3b").len(), 47, "a zero draws no bar");
        let x_labels = svg.matches("y=\"194\" text-anchor=\"middle\"").count();
        assert!(x_labels <= 8, "{x_labels}");
        assert!(svg.len() < 12_000, "{}", svg.len());
    }
}
