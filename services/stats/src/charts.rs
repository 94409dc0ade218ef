//! Charts as SVG, drawn by the server for the coordinators' page: bars
//! with their numbers written on them, a title and a text description for
//! screen readers (`role="img"`, `<title>`, `<desc>`), colours that stay
//! apart for colour-blind readers, and no script.

use std::fmt::Write as _;

/// One series of a bar chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<f64>,
    pub colour: &'a str,
}

/// Colours from the Okabe–Ito palette (told apart with any colour vision).
pub const COLOURS: [&str; 4] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}").replace('.', ",")
    }
}

/// The longest label drawn under a group, in characters.
const MAX_LABEL: usize = 16;

/// Grouped vertical bars: one group per label, one bar per series.
pub fn bars(title: &str, labels: &[String], series: &[Series<'_>]) -> String {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 360.0;
    // Room for the slanted labels of the first groups and the longest.
    const LEFT: f64 = 110.0;
    const BOTTOM: f64 = 104.0;
    const TOP: f64 = 48.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - 16.0;
    let group_w = plot_w / labels.len().max(1) as f64;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);

    // Nothing to draw: say so, in the picture and in its words.
    let empty = series.iter().all(|s| s.values.iter().all(|v| *v == 0.0));
    let no_data = crate::MESSAGES.now("chart-no-data", &[]);
    let mut desc = String::new();
    if empty {
        desc.push_str(&no_data);
    }
    for (i, label) in labels.iter().enumerate().filter(|_| !empty) {
        let values: Vec<String> = series
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.name,
                    number(s.values.get(i).copied().unwrap_or(0.0))
                )
            })
            .collect();
        let _ = write!(desc, "{label}: {}. ", values.join(", "));
    }
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"t d\" font-family=\"sans-serif\" font-size=\"12\">\n<title id=\"t\">{}</title>\n<desc id=\"d\">{}</desc>\n",
        escape(title),
        escape(desc.trim())
    );
    let _ = writeln!(
        svg,
        "<text x=\"{LEFT}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{}</text>",
        escape(title)
    );
    // Legend.
    let mut x = LEFT;
    for s in series {
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"28\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"38\">{}</text>",
            s.colour,
            x + 16.0,
            escape(s.name)
        );
        x += 24.0 + 7.0 * s.name.chars().count() as f64;
    }
    let base = TOP + plot_h;
    if empty {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"16\">{}</text>",
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0,
            escape(&no_data)
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#333\"/>",
        WIDTH - 16.0
    );
    for (i, label) in labels.iter().enumerate() {
        let gx = LEFT + group_w * i as f64 + group_w * 0.1;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            let h = v / max * plot_h;
            let bx = gx + bar_w * k as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
                base - h,
                (bar_w - 1.0).max(1.0),
                s.colour,
                escape(label),
                escape(s.name),
                number(v)
            );
            if bar_w >= 14.0 && v > 0.0 {
                let _ = writeln!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                    bx + bar_w / 2.0,
                    base - h - 3.0,
                    number(v)
                );
            }
        }
        // Label every group when there is room, else every few; a long
        // label is shortened so that it is not cut at the picture's edge
        // (the bar's own title and the description say it whole).
        let every = (labels.len() / 12).max(1);
        let label: String = if label.chars().count() > MAX_LABEL {
            label.chars().take(MAX_LABEL - 1).chain(['…']).collect()
        } else {
            label.clone()
        };
        if i % every == 0 {
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" transform=\"rotate(-40 {:.1} {:.1})\">{}</text>",
                gx + group_w * 0.4,
                base + 14.0,
                gx + group_w * 0.4,
                base + 14.0,
                escape(&label)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_says_in_words_what_it_draws() {
        let svg = bars(
            "Personnes et demandes par permanence",
            &["2019-01".into(), "2019-02 <b>".into()],
            &[
                Series {
                    name: "personnes",
                    values: vec![5.0, 7.5],
                    colour: COLOURS[0],
                },
                Series {
                    name: "demandes",
                    values: vec![8.0, 10.0],
                    colour: COLOURS[1],
                },
            ],
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<desc id=\"d\">2019-01: personnes 5, demandes 8. 2019-02 &lt;b&gt;: personnes 7,5, demandes 10.</desc>"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 2 + 4, "legend and bars");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn an_empty_chart_says_there_is_no_data_and_long_labels_are_shortened() {
        let svg = bars(
            "Demandes par type",
            &["Espace numérique des Tilleuls".into()],
            &[Series {
                name: "demandes",
                values: vec![0.0],
                colour: COLOURS[0],
            }],
        );
        let no_data = crate::MESSAGES.now("chart-no-data", &[]);
        assert!(
            svg.contains(&format!("<desc id=\"d\">{no_data}</desc>")),
            "{svg}"
        );
        assert!(svg.contains(&format!(">{no_data}</text>")), "{svg}");
        assert!(svg.contains(">Espace numériqu…</text>"), "{svg}");
    }
}
