//go:build unix

package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The screenshot's size: wide enough for the charts, tall enough that all
// of them are on it (the table below may run off the bottom).
const shotW, shotH = 1280, 2000

// noBrowserVar turns the browser test into a skip on a machine that
// cannot have chromium; anywhere else a missing browser is a failure, so
// that CI never passes without having looked at the page.
const noBrowserVar = "SMOKE_NO_BROWSER"

// TestPageInChromium opens the report in a real browser and checks that
// the charts are drawn where the page puts them, not only that the HTML
// names them: a page whose <img> cannot be decoded, or is laid out at zero
// size, passes every string check and still shows on-call nothing.
//
// It takes two screenshots: the page, and the same page with every chart
// replaced by a white image of the same size. Their layouts are identical,
// so the rows where they differ are exactly the drawn charts: there must
// be one band of such rows per chart, as tall as the chart.
func TestPageInChromium(t *testing.T) {
	chromium := browser(t)
	logPath, rounds := writeLog(t)
	p, err := Build(logPath, rounds)
	require.NoError(t, err)
	dir := t.TempDir()
	page, err := Write(filepath.Join(dir, "page"), logPath, rounds)
	require.NoError(t, err)
	blank := blankCharts(t, page, filepath.Join(dir, "blank"), len(p.Charts))

	shot := screenshot(t, chromium, page, filepath.Join(dir, "page.png"))
	bare := screenshot(t, chromium, blank, filepath.Join(dir, "blank.png"))
	for _, img := range []image.Image{shot, bare} {
		require.Equal(t, image.Rect(0, 0, shotW, shotH), img.Bounds(), "the screenshot is the window size asked for")
	}
	ink := nonWhite(shot, shot.Bounds())
	t.Logf("screenshot %dx%d: %d non-white pixels (%d without the charts)", shot.Bounds().Dx(), shot.Bounds().Dy(), ink, nonWhite(bare, bare.Bounds()))

	bands := diffBands(shot, bare)
	require.Len(t, bands, len(p.Charts), "one drawn region per chart, top to bottom; got %v", bands)
	for i, b := range bands {
		c := p.Charts[i]
		assert.InDelta(t, c.Height, b.Dy(), float64(c.Height)*0.25, "%s: drawn %v, the height of the chart", c.ID, b)
		assert.InDelta(t, c.Width, b.Dx(), float64(c.Width)*0.25, "%s: drawn %v, the width of the chart", c.ID, b)
		drawn := nonWhite(shot, b)
		assert.Greater(t, drawn, c.Width*c.Height/50, "%s: at least 2 %% of its area is drawn", c.ID)
		t.Logf("%s at %v: %d non-white pixels", c.ID, b, drawn)
	}
}

// browser is chromium's path. Without it the test fails, saying how to
// install it, unless SMOKE_NO_BROWSER=1 says this machine cannot have one.
func browser(t *testing.T) string {
	t.Helper()
	if os.Getenv(noBrowserVar) == "1" {
		t.Skipf("%s=1: the report page is not checked in a headless browser", noBrowserVar)
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (%v): run `make setup`, which installs Debian's chromium, "+
			"so that the report page is checked in a real browser (or set %s=1 to skip this test)", err, noBrowserVar)
	}
	return path
}

// screenshot runs headless chromium on the page and decodes its PNG. It
// runs at the lowest CPU priority (other packages' latency checks run
// beside it in `go test ./...`), in a profile of its own (a chromium the
// user has open must not take the call over), and is killed with all its
// children after 60 s.
func screenshot(t *testing.T, chromium, page, out string) image.Image {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	args := []string{chromium, "--headless", "--no-sandbox", "--disable-gpu", "--screenshot=" + out,
		fmt.Sprintf("--window-size=%d,%d", shotW, shotH), "--user-data-dir=" + filepath.Join(t.TempDir(), "profile"),
		"file://" + page}
	if nice, err := exec.LookPath("nice"); err == nil {
		args = append([]string{nice, "-n", "19"}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium took over 60 s for %s: %s", page, tail(output.Bytes()))
	}
	require.NoError(t, err, "chromium: %s", tail(output.Bytes()))
	data, err := os.ReadFile(out)
	require.NoError(t, err, "chromium wrote no screenshot: %s", tail(output.Bytes()))
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err, "the screenshot is not a PNG")
	t.Logf("screenshot of %s: %s (%d bytes, %s)", filepath.Base(filepath.Dir(page)), out, len(data), time.Since(start).Round(time.Millisecond))
	return img
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// blankCharts writes the page again into dir with every chart image
// replaced by a white one that the <img>'s width and height stretch to the
// same box: the same layout, without the drawings.
func blankCharts(t *testing.T, page, dir string, charts int) string {
	t.Helper()
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	white := image.NewRGBA(image.Rect(0, 0, 1, 1))
	white.Set(0, 0, color.White)
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, white))
	src := regexp.MustCompile(`src="data:image/png;base64,[^"]+"`)
	require.Len(t, src.FindAll(html, -1), charts, "every chart is an embedded PNG")
	html = src.ReplaceAll(html, []byte(`src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(b.Bytes())+`"`))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out := filepath.Join(dir, "index.html")
	require.NoError(t, os.WriteFile(out, html, 0o644))
	return out
}

// diffBands are the regions where two screenshots differ, top to bottom:
// runs of differing rows, joined across gaps shorter than a line of text
// (a chart has white rows between its title and its axes; two charts are
// further apart, with a caption between them).
func diffBands(a, b image.Image) []image.Rectangle {
	const join = 16
	var bands []image.Rectangle
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		minX, maxX := -1, -1
		for x := r.Min.X; x < r.Max.X; x++ {
			if !sameColor(a.At(x, y), b.At(x, y)) {
				if minX < 0 {
					minX = x
				}
				maxX = x
			}
		}
		if minX < 0 {
			continue
		}
		row := image.Rect(minX, y, maxX+1, y+1)
		if n := len(bands); n > 0 && y-bands[n-1].Max.Y < join {
			bands[n-1] = bands[n-1].Union(row)
			continue
		}
		bands = append(bands, row)
	}
	return bands
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2
}

// nonWhite counts the pixels in r that are not (nearly) white.
func nonWhite(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				n++
			}
		}
	}
	return n
}
