//! The comparison figure: mean best-so-far vs evaluated samples, one line per strategy with
//! a shaded 95% band over seeds (like the FNAS paper's Figure 1). PNG or SVG by extension.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::BenchError;
use super::stats::{best_so_far_curve, Interval};

/// Embedded so plotting needs no system fonts (plotters is built without font-kit).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Colours (matplotlib's tab10), cycled per series.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const SIZE: (u32, u32) = (960, 600);

/// Registers the embedded font as "sans-serif" once per process; plotters needs it before
/// any text is drawn, SVG included.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
                .map_err(|_| "the embedded DejaVuSans.ttf is not a valid font".to_string())
        })
        .clone()
}

/// Draws mean best-so-far (line) and its 95% t-band (shaded) per strategy. `series` is
/// (strategy name, per-seed traces); a trace is rewards or best-so-far per distinct
/// evaluation. The format follows the extension of `path` (`.png` or `.svg`).
///
/// The y axis starts at the lowest band value after the first 5% of the longest trace, so
/// the flat top where strategies differ stays readable; earlier values are clipped at the
/// bottom edge.
pub fn plot_best_so_far<S: AsRef<str>>(
    path: &Path,
    title: &str,
    series: &[(S, Vec<Vec<f64>>)],
    y_label: &str,
) -> Result<(), BenchError> {
    let fail = |message: String| BenchError::Plot {
        path: path.to_path_buf(),
        message,
    };
    let curves: Vec<(&str, Vec<Interval>)> = series
        .iter()
        .map(|(name, traces)| (name.as_ref(), best_so_far_curve(traces)))
        .filter(|(_, curve)| !curve.is_empty())
        .collect();
    if curves.is_empty() {
        return Err(fail("no series has any evaluation to draw".to_string()));
    }
    ensure_font().map_err(&fail)?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let result = match extension.as_deref() {
        Some("png") => {
            let root = BitMapBackend::new(path, SIZE).into_drawing_area();
            draw(&root, title, y_label, &curves)
                .and_then(|()| root.present().map_err(|e| e.to_string()))
        }
        Some("svg") => {
            let root = SVGBackend::new(path, SIZE).into_drawing_area();
            draw(&root, title, y_label, &curves)
                .and_then(|()| root.present().map_err(|e| e.to_string()))
        }
        _ => Err("unsupported file extension: use .png or .svg".to_string()),
    };
    result.map_err(fail)
}

/// Lower/upper drawing bounds of a point: the band, or the mean when the band is undefined.
fn band(i: &Interval) -> (f64, f64) {
    if i.lo.is_finite() && i.hi.is_finite() {
        (i.lo, i.hi)
    } else {
        (i.mean, i.mean)
    }
}

/// The y range: from the lowest band value after the first 5% of evaluations to the highest
/// band value, padded by 3%.
fn y_range(curves: &[(&str, Vec<Interval>)]) -> (f64, f64) {
    let longest = curves.iter().map(|(_, c)| c.len()).max().unwrap_or(1);
    let skip = longest / 20;
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (_, curve) in curves {
        let start = skip.min(curve.len().saturating_sub(1));
        for point in &curve[start..] {
            let (l, h) = band(point);
            lo = lo.min(l);
            hi = hi.max(h);
        }
    }
    let pad = ((hi - lo) * 0.03).max(1e-6);
    (lo - pad, hi + pad)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    curves: &[(&str, Vec<Interval>)],
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let longest = curves.iter().map(|(_, c)| c.len()).max().unwrap_or(1);
    let (y_lo, y_hi) = y_range(curves);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(14)
        .margin_right(28)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(1f64..longest.max(2) as f64, y_lo..y_hi)
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("evaluated samples (distinct)")
        .y_desc(y_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()
        .map_err(text)?;
    let clamp = |v: f64| v.clamp(y_lo, y_hi);
    for (index, (name, curve)) in curves.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let x = |i: usize| (i + 1) as f64;
        // Band polygon: upper edge left to right, then lower edge back.
        let mut outline: Vec<(f64, f64)> = curve
            .iter()
            .enumerate()
            .map(|(i, p)| (x(i), clamp(band(p).1)))
            .collect();
        outline.extend(
            curve
                .iter()
                .enumerate()
                .rev()
                .map(|(i, p)| (x(i), clamp(band(p).0))),
        );
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.18).filled(),
            )))
            .map_err(text)?;
        chart
            .draw_series(LineSeries::new(
                curve.iter().enumerate().map(|(i, p)| (x(i), clamp(p.mean))),
                colour.stroke_width(2),
            ))
            .map_err(text)?
            .label(*name)
            .legend(move |(lx, ly)| {
                PathElement::new(vec![(lx, ly), (lx + 20, ly)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(text)?;
    Ok(())
}
