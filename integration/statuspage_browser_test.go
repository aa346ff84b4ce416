package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// chromium finds a Chromium or Chrome binary; scripts/test.sh installs
// one (as root with apt-get) when the machine has none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on this machine: scripts/ensure-chromium.sh installs it")
	return ""
}

// artifacts is where screenshots are kept: $UPSTATE_TEST_ARTIFACTS, or a
// folder under the system's temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("UPSTATE_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "upstate-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seen is what a person sees on a status page.
type seen struct {
	Banner     string
	Components []string // "name: status"
	Background string
}

func look(ctx context.Context, url string, shot string) (seen, error) {
	var s seen
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible("#overall")); err != nil {
		return s, err
	}
	var err error
	if s.Banner, err = chromedp.Run(ctx, chromedp.Text("#overall")); err != nil {
		return s, err
	}
	if s.Components, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.component')].map(c => c.querySelector('.name').innerText + ': ' + c.querySelector('.st').innerText)`)); err != nil {
		return s, err
	}
	if s.Background, err = chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); err != nil {
		return s, err
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return s, err
	}
	return s, os.WriteFile(shot, png, 0o644)
}

// A person opening a page in a browser sees the banner and the
// components' statuses, before and after a status change, in the light
// and the dark theme; screenshots are kept.
func TestStatusPageInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	s := startStack(t)
	api := s.createService(bootstrapKey, "API")
	mail := s.createService(bootstrapKey, "Email")
	s.createPage(map[string]any{"name": "Pushmail", "slug": "pushmail", "components": []map[string]any{
		{"service_id": api, "position": 1},
		{"service_id": mail, "name": "Email Delivery", "position": 2},
	}})
	s.awaitSummary("pushmail", func(m map[string]any) error {
		if len(m["components"].([]any)) != 2 {
			return fmt.Errorf("components %v", m["components"])
		}
		return nil
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(412, 915))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)

	dir := artifacts(t)
	page := s.baseURL + "/status/pushmail"
	before, err := look(ctx, page, filepath.Join(dir, "statuspage-light-operational.png"))
	if err != nil {
		t.Fatal(err)
	}
	if before.Banner != "All Systems Operational" || strings.Join(before.Components, "; ") != "API: Operational; Email Delivery: Operational" {
		t.Errorf("before the change a person sees %+v", before)
	}
	if before.Background != "rgb(255, 255, 255)" {
		t.Errorf("light theme background %s", before.Background)
	}

	_, path := s.createWebhookReceiver(`{"name":"ci","service_id":"` + mail + `"}`)
	if r := s.post(path, `{"status":"down"}`); r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	var after seen
	testenv.Eventually(t, 10*time.Second, func() error {
		after, err = look(ctx, page, filepath.Join(dir, "statuspage-light-outage.png"))
		if err != nil {
			return err
		}
		if after.Banner != "Partial System Outage" || strings.Join(after.Components, "; ") != "API: Operational; Email Delivery: Major outage" {
			return fmt.Errorf("after the change a person sees %+v", after)
		}
		return nil
	})

	dark := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	})
	if err := chromedp.Do(ctx, dark); err != nil {
		t.Fatal(err)
	}
	inDark, err := look(ctx, page, filepath.Join(dir, "statuspage-dark-outage.png"))
	if err != nil {
		t.Fatal(err)
	}
	if inDark.Background != "rgb(13, 17, 23)" || inDark.Banner != after.Banner {
		t.Errorf("dark theme: %+v", inDark)
	}
	t.Logf("screenshots in %s", dir)
}
