package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Series is one line of a percentile plot.
type Series struct {
	Name string
	Hist *hdrhistogram.Histogram
}

// systemColors gives each system one colour (Okabe-Ito, colour-blind friendly;
// the floors in greys) so a system keeps its colour across transports and plots;
// the transport is the dash pattern (transportDash).
var systemColors = map[string]string{
	"cell":             "#0072B2",
	"cell-park":        "#56B4E9",
	"cell-object":      "#009E73",
	"grpc":             "#D55E00",
	"grpc-flatbuffers": "#E69F00",
	"drpc":             "#CC79A7",
	"floor-spin":       "#000000",
	"floor-futex":      "#777777",
	"floor-net":        "#AAAAAA",
}

var otherColors = []string{"#F0E442", "#882255", "#44AA99", "#332288"}

var transportDash = map[string]string{"shm": "", "unix": "7,3", "tcp": "2,2"}

// style returns the colour and dash pattern of row "<system>/<transport>"; the
// i-th series falls back to otherColors for unknown systems.
func style(row string, i int) (color, dash string) {
	sys, tr, _ := strings.Cut(row, "/")
	color, ok := systemColors[sys]
	if !ok {
		color = otherColors[i%len(otherColors)]
	}
	return color, transportDash[tr]
}

// Plot geometry.
const (
	plotW, plotH           = 760, 420
	marginL, marginR       = 70, 200
	marginT, marginB       = 40, 50
	maxNines               = 5.0 // the x axis ends at 99.999%
	pointsPerNine          = 40
	innerW                 = plotW - marginL - marginR
	innerH                 = plotH - marginT - marginB
	legendX, legendY, rowH = plotW - marginR + 15, marginT + 10, 18
)

// WritePercentileSVG draws latency against percentile, HdrHistogram style: the x
// axis is log10(1/(1-q)) (so 90%, 99%, 99.9% are evenly spaced) and ends where the
// largest histogram runs out of samples; the y axis is log10 of the latency.
func WritePercentileSVG(w io.Writer, title string, series []Series) error {
	var lines []Series
	maxX, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, s := range series {
		if s.Hist == nil || s.Hist.TotalCount() == 0 {
			continue
		}
		lines = append(lines, s)
		maxX = math.Max(maxX, math.Min(maxNines, math.Log10(float64(s.Hist.TotalCount()))))
		lo = math.Min(lo, float64(max(s.Hist.Min(), 1)))
		hi = math.Max(hi, float64(max(s.Hist.Max(), 1)))
	}
	if len(lines) == 0 {
		return fmt.Errorf("report: nothing to plot for %q", title)
	}
	maxX = math.Max(1, math.Ceil(maxX))
	yLo, yHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yHi <= yLo {
		yHi = yLo + 1
	}
	px := func(x float64) float64 { return marginL + x/maxX*innerW }
	py := func(ns float64) float64 {
		return marginT + innerH - (math.Log10(math.Max(ns, 1))-yLo)/(yHi-yLo)*innerH
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", marginL, html.EscapeString(title))
	for d := yLo; d <= yHi; d++ { // horizontal grid, one line per decade
		y := py(math.Pow(10, d))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, y, marginL+innerW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", marginL-6, y, durLabel(math.Pow(10, d)))
	}
	for n := 0.0; n <= maxX; n++ { // vertical grid at 0%, 90%, 99%, …
		x := px(n)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, marginT, x, marginT+innerH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, marginT+innerH+18, pctLabel(n))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">percentile</text>`+"\n", marginL+innerW/2, plotH-8)
	fmt.Fprintf(&b, `<text x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">round trip (log scale)</text>`+"\n", marginT+innerH/2, marginT+innerH/2)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", marginL, marginT, innerW, innerH)
	for i, s := range lines {
		col, dash := style(s.Name, i)
		dashAttr := ""
		if dash != "" {
			dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
		}
		xEnd := math.Min(maxX, math.Log10(float64(s.Hist.TotalCount())))
		var pts []string
		for k := 0; ; k++ {
			x := float64(k) / pointsPerNine
			if x > xEnd {
				x = xEnd
			}
			q := 100 * (1 - math.Pow(10, -x))
			v := float64(s.Hist.ValueAtQuantile(q))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(x), py(v)))
			if x >= xEnd {
				break
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"/>`+"\n", col, dashAttr, strings.Join(pts, " "))
		ly := legendY + i*rowH
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"%s/>`+"\n", legendX, ly, legendX+22, ly, col, dashAttr)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", legendX+28, ly, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// pctLabel names the percentile at x = log10(1/(1-q)): 0 -> "0%", 2 -> "99%".
func pctLabel(x float64) string {
	d := max(int(math.Round(x))-2, 0)
	return fmt.Sprintf("%.*f%%", d, 100*(1-math.Pow(10, -x)))
}

// durLabel prints a latency in ns with its natural unit: 100ns, 10µs, 1ms, 1s.
func durLabel(ns float64) string {
	switch {
	case ns >= 1e9:
		return trimNum(ns/1e9) + "s"
	case ns >= 1e6:
		return trimNum(ns/1e6) + "ms"
	case ns >= 1e3:
		return trimNum(ns/1e3) + "µs"
	}
	return trimNum(ns) + "ns"
}

func trimNum(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
