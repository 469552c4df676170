//! The stats page's charts: server-rendered SVG bar charts (`plotters`' SVG backend), no script.
//! Labels and numbers are in the HTML beside each chart (a table), so the SVG carries only the
//! bars and the grid: nothing in it needs a font.

use plotters::prelude::*;

/// Chart size in SVG pixels (scaled by the page's CSS).
const SIZE: (u32, u32) = (560, 160);

/// A bar per value, scaled to the largest (empty or all-zero: a flat baseline). `None` if the
/// backend failed (the page shows the table alone).
pub(crate) fn bars(values: &[f64], colour: (u8, u8, u8)) -> Option<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let top = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
        let n = values.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .build_cartesian_2d((0u32..n - 1).into_segmented(), 0.0..top * 1.1)
            .ok()?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .disable_y_axis()
            .y_labels(4)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(234, 236, 240))
            .draw()
            .ok()?;
        let fill = RGBColor(colour.0, colour.1, colour.2).filled();
        let series = Histogram::vertical(&chart)
            .style(fill)
            .margin(4)
            .data(values.iter().enumerate().map(|(i, v)| (i as u32, *v)));
        chart.draw_series(series).ok()?;
        root.present().ok()?;
    }
    // Stretch to the page's width at a fixed height (the CSS sets both).
    Some(svg.replacen("<svg ", "<svg preserveAspectRatio=\"none\" ", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_bar_per_nonzero_value_and_no_text() {
        let svg = bars(&[1.0, 0.0, 3.0, 2.0], (21, 112, 239)).expect("an SVG");
        assert!(svg.starts_with("<svg preserveAspectRatio"), "{svg}");
        assert!(!svg.contains("<text"), "no fonts needed: {svg}");
        let heights: Vec<u32> = svg
            .lines()
            .filter(|l| l.contains("fill=\"#1570EF\""))
            .map(|l| l.split("height=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(heights.iter().filter(|h| **h > 0).count(), 3, "{svg}");
        let tallest = heights.iter().max().unwrap();
        let second = heights.iter().filter(|h| *h < tallest).max().unwrap();
        assert!(second * 3 < tallest * 3 && second * 2 > *tallest, "3 is tallest, 2 about two thirds: {heights:?}");
    }
}
