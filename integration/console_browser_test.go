package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// operator drives the console in a headless Chromium at phone width and
// keeps a screenshot of each step.
type operator struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func newOperator(t *testing.T) *operator {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(412, 915))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	// The browser starts with the first run and lives as long as that
	// run's context: start it on this one, not a step's.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &operator{t: t, ctx: ctx, dir: artifacts(t)}
}

// do runs steps within 20 s, failing the test with what it was doing and
// what the page says.
func (o *operator) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(o.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		o.shot("console-failed")
		body, _ := chromedp.Run(o.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		o.t.Fatalf("%s: %v; the page at %s reads:\n%s", what, err, o.location(), body)
	}
}

// text reads an element's text in one evaluation, so that a live region
// swapped in meanwhile is no error ("" when it is not there).
func (o *operator) text(sel string) string {
	o.t.Helper()
	return strings.TrimSpace(o.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)))
}

// await waits until sel's text is want: after a form is sent, the next
// page loads; on a live page, the region is fetched again.
func (o *operator) await(sel, want string) {
	o.t.Helper()
	testenv.Eventually(o.t, 15*time.Second, func() error {
		if got := o.text(sel); got != want {
			return fmt.Errorf("%s reads %q, want %q (at %s)", sel, got, want, o.location())
		}
		return nil
	})
}

func (o *operator) eval(js string) string {
	o.t.Helper()
	s, err := chromedp.Run(o.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		o.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

func (o *operator) location() string {
	o.t.Helper()
	loc, err := chromedp.Run(o.ctx, chromedp.Location())
	if err != nil {
		o.t.Fatal(err)
	}
	return loc
}

// shot keeps a screenshot of the page as name.png.
func (o *operator) shot(name string) {
	o.t.Helper()
	png, err := chromedp.Run(o.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		o.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(o.dir, name+".png"), png, 0o644); err != nil {
		o.t.Fatal(err)
	}
}

// page keeps a screenshot of the page and checks what every page must do
// for a person on a phone or with a screen reader: no field without a
// label, nothing wider than the screen.
func (o *operator) page(name string) {
	o.t.Helper()
	o.shot(name)
	unlabelled := o.eval(`[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
		.filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.id || e.name).join(",")`)
	if unlabelled != "" {
		o.t.Errorf("%s: fields without a label: %s", name, unlabelled)
	}
	if wide := o.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
		o.t.Errorf("%s: the page is wider than the phone's screen", name)
	}
}

// markPage tags the loaded document, so that a later check tells a live
// update (the tag survives) from a reload (it is gone).
func (o *operator) markPage() { o.eval(`window.notReloaded = "yes"; "ok"`) }

func (o *operator) notReloaded() bool { return o.eval(`String(window.notReloaded)`) == "yes" }

// A person runs upstate from the console, in a browser: signs in with the
// bootstrap key, creates a service and a webhook receiver, sees a webhook
// change the service's status on the open services page and the delivery
// appear in the open delivery log, both without reloading, then opens an
// incident, posts an update and resolves it. Screenshots are kept, the
// last ones in the dark theme.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	o := newOperator(t)
	s := startStack(t)
	console := s.baseURL + "/console"

	o.do("sign in",
		chromedp.Navigate(console),
		chromedp.WaitVisible("#api_key"),
		chromedp.SendKeys("#api_key", bootstrapKey),
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible("#svc-name"),
	)
	if loc := o.location(); loc != console+"/services" {
		t.Fatalf("after signing in the browser is at %s", loc)
	}
	if strings.Contains(o.eval(`document.documentElement.outerHTML`), bootstrapKey) {
		t.Error("the page holds the API key")
	}
	o.page("console-01-services-empty")

	o.do("create a service",
		chromedp.SendKeys("#svc-name", "API"),
		chromedp.SendKeys("#svc-desc", "Public REST API"),
		chromedp.Submit("#svc-name"),
	)
	o.await("#current-status", "operational")
	svcID := strings.TrimPrefix(o.location(), console+"/services/")
	if !strings.HasPrefix(svcID, "svc_") {
		t.Fatalf("after creating the service the browser is at %s", o.location())
	}

	o.do("create a receiver",
		chromedp.Navigate(console+"/receivers"),
		chromedp.WaitVisible("#name"),
		chromedp.SendKeys("#name", "ci"),
		chromedp.SetValue("#service_id", svcID),
		chromedp.SendKeys("#status_mapping", "crashed = down"),
		chromedp.Submit("#name"),
		chromedp.WaitVisible("#webhook-url"),
	)
	o.page("console-02-receiver-created")
	hook, err := chromedp.Run(o.ctx, chromedp.Value("#webhook-url"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(hook)
	if err != nil || !strings.HasPrefix(u.Path, "/api/webhooks/incoming/") {
		t.Fatalf("webhook URL %q", hook)
	}

	// The services page is open when the webhook arrives.
	o.do("open the services page", chromedp.Navigate(console+"/services"), chromedp.WaitVisible("#services-live"))
	o.markPage()
	if r := s.post(u.Path, `{"status":"crashed","message":"db unreachable"}`); r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	o.await(fmt.Sprintf(`tr[data-service=%q] [data-status]`, svcID), "down")
	if !o.notReloaded() {
		t.Error("the services page was reloaded, not updated in place")
	}
	o.page("console-03-services-live-down")

	// The receiver's delivery log is open when the next webhook arrives.
	o.do("open the service", chromedp.Navigate(console+"/services/"+svcID), chromedp.WaitVisible("#current-status"))
	o.await("#current-status", "down")
	if !strings.Contains(o.text("#service-live table"), "db unreachable") {
		t.Errorf("the history does not show the webhook's message: %q", o.text("#service-live table"))
	}
	o.do("find the receiver", chromedp.Navigate(console+"/receivers"), chromedp.WaitVisible("table.list"))
	recvPage := o.eval(`document.querySelector('table.list a[href^="/console/receivers/"]').getAttribute("href")`)
	o.do("open the receiver", chromedp.Navigate(s.baseURL+recvPage), chromedp.WaitVisible("#deliveries-live"))
	if n := o.eval(`String(document.querySelectorAll("tr.delivery").length)`); n != "1" {
		t.Errorf("the log shows %s deliveries, want 1", n)
	}
	o.markPage()
	if r := s.post(u.Path, `{"status":"ok"}`); r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 15*time.Second, func() error {
		got := o.eval(`[...document.querySelectorAll("tr.delivery [data-result]")].map(e => e.innerText).join(",")`)
		if got != "processed,processed" {
			return fmt.Errorf("the delivery log shows %q", got)
		}
		return nil
	})
	if !o.notReloaded() {
		t.Error("the delivery log was reloaded, not updated in place")
	}
	payload := o.eval(`document.querySelector("tr.payload pre").textContent`)
	if !strings.Contains(payload, `"status": "ok"`) {
		t.Errorf("the newest delivery's payload reads %q", payload)
	}
	o.page("console-04-delivery-log")

	o.do("open an incident",
		chromedp.Navigate(console+"/incidents"),
		chromedp.WaitVisible("#title"),
		chromedp.SendKeys("#title", "Slow API"),
		chromedp.SendKeys("#message", "Looking into it."),
		chromedp.Click("#svc-"+svcID),
		chromedp.Submit("#title"),
	)
	o.await("#incident-status", "investigating")
	o.do("post an update",
		chromedp.SetValue("#upd-status", "identified"),
		chromedp.SendKeys("#upd-message", "A slow query."),
		chromedp.Submit("#upd-message"),
	)
	o.await("#incident-status", "identified")
	o.page("console-05-incident")
	o.do("resolve it", chromedp.Click("#resolve"))
	o.await("#incident-status", "resolved")
	if n := o.eval(`String(document.querySelectorAll(".timeline li").length)`); n != "3" {
		t.Errorf("the timeline has %s entries, want 3", n)
	}

	for _, p := range []struct{ path, wait, name string }{
		{"/maintenances", "#m-title", "console-06-maintenance"},
		{"/api-keys", "#key-name", "console-06-api-keys"},
		{"/channels", "#channel-name", "console-06-channels"},
	} {
		o.do("open "+p.path, chromedp.Navigate(console+p.path), chromedp.WaitVisible(p.wait))
		o.page(p.name)
	}

	dark := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	})
	o.do("dark theme", dark, chromedp.Navigate(console+"/incidents?status=resolved"), chromedp.WaitVisible("#incidents-live"))
	if bg := o.eval(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
		t.Errorf("dark theme background %s", bg)
	}
	o.page("console-07-incidents-dark")
	o.do("services, dark", chromedp.Navigate(console+"/services"), chromedp.WaitVisible("#services-live"))
	o.page("console-08-services-dark")
	t.Logf("screenshots in %s", o.dir)
}
