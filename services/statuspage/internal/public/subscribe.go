package public

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/webhook"
)

// subscribeBody is a subscription: an email or a webhook endpoint, and
// optionally components. Statuspage's nesting under "subscriber" is
// accepted too.
type subscribeBody struct {
	Email      string   `json:"email"`
	Endpoint   string   `json:"endpoint"`
	Components []string `json:"components"`
	Subscriber *struct {
		Email    string `json:"email"`
		Endpoint string `json:"endpoint"`
	} `json:"subscriber"`
}

// subscriberJSON is a subscription as its maker sees it, once.
type subscriberJSON struct {
	ID             string   `json:"id"`
	Email          string   `json:"email,omitempty"`
	Endpoint       string   `json:"endpoint,omitempty"`
	Components     []string `json:"components"`
	Confirmed      bool     `json:"confirmed"`
	CreatedAt      string   `json:"created_at"`
	Secret         string   `json:"secret,omitempty"`
	UnsubscribeURL string   `json:"unsubscribe_url"`
}

// token returns 192 random bits, base64url-encoded.
func token() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// create makes a subscriber of the request's page: a webhook one is
// confirmed at once and given its secret, an email one is sent its
// confirmation link.
func (h *Handler) create(c echo.Context, email, endpoint string, comps []string) (subscriberJSON, error) {
	ctx := c.Request().Context()
	_, v, base, err := h.load(c)
	if err != nil {
		return subscriberJSON{}, err
	}
	s := domain.Subscriber{PageID: v.Page.ID, Kind: domain.KindOf(email), Email: strings.TrimSpace(email), URL: strings.TrimSpace(endpoint), ComponentIDs: comps, CreatedAt: h.clock.Now()}
	if err := domain.ValidateSubscriber(s, v.Page); err != nil {
		return subscriberJSON{}, err
	}
	if s.Kind == domain.KindEmail && h.opts.Mailer == nil {
		return subscriberJSON{}, &domain.ValidationError{Field: "email", Message: "email subscriptions are not enabled on this installation"}
	}
	ns := store.NewSubscriber{Subscriber: s}
	if ns.UnsubscribeToken, err = token(); err != nil {
		return subscriberJSON{}, err
	}
	if s.Kind == domain.KindEmail {
		if ns.ConfirmToken, err = token(); err != nil {
			return subscriberJSON{}, err
		}
	} else {
		ns.Secret = webhook.NewStandardSecret()
	}
	created, err := h.store.CreateSubscriber(ctx, ns)
	if err != nil {
		return subscriberJSON{}, err
	}
	unsubscribe := base + "/unsubscribe/" + ns.UnsubscribeToken
	if s.Kind == domain.KindEmail {
		if err := h.opts.Mailer.Send(ctx, confirmation(s.Email, v.Page.Name, base+"/subscriptions/confirm/"+ns.ConfirmToken, unsubscribe)); err != nil {
			return subscriberJSON{}, httpx.Unavailable("the confirmation email could not be sent; try again later", err)
		}
	}
	comps = created.ComponentIDs
	if comps == nil {
		comps = []string{}
	}
	return subscriberJSON{
		ID: created.ID, Email: created.Email, Endpoint: created.URL, Components: comps, Confirmed: created.ConfirmedAt != nil,
		CreatedAt: created.CreatedAt.UTC().Format(time.RFC3339), Secret: ns.Secret, UnsubscribeURL: unsubscribe,
	}, nil
}

// subscribe is POST /api/v2/subscribers.json.
func (h *Handler) subscribe(c echo.Context) error {
	var body subscribeBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		c.Response().Header().Set("Access-Control-Allow-Origin", "*")
		return err
	}
	if body.Subscriber != nil {
		body.Email, body.Endpoint = body.Subscriber.Email, body.Subscriber.Endpoint
	}
	out, err := h.create(c, body.Email, body.Endpoint, body.Components)
	if err != nil {
		return h.fail(c, err, true)
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]subscriberJSON{"subscriber": out})
}

// subscribeForm is the page's email form, for people without JavaScript.
func (h *Handler) subscribeForm(c echo.Context) error {
	_, err := h.create(c, c.FormValue("email"), "", nil)
	if err != nil {
		return h.fail(c, err, false)
	}
	return h.message(c, http.StatusOK, "Check your inbox", "We sent a confirmation link. Nothing is sent to you before you click it.")
}

func (h *Handler) confirm(c echo.Context) error {
	ref, err := h.store.PageBySlug(c.Request().Context(), c.Param("slug"))
	if err == nil {
		err = h.store.ConfirmSubscriber(c.Request().Context(), ref.ID, c.Param("token"), h.clock.Now())
	}
	if err != nil {
		return h.fail(c, err, false)
	}
	return h.message(c, http.StatusOK, "Subscribed", "You will be told of this page's changes. Every message has a link to unsubscribe.")
}

func (h *Handler) unsubscribe(c echo.Context, tok string) error {
	ref, err := h.store.PageBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return h.store.Unsubscribe(c.Request().Context(), ref.ID, tok)
}

// unsubscribeAPI is DELETE /api/v2/subscribers/{token}.json.
func (h *Handler) unsubscribeAPI(c echo.Context) error {
	tok, ok := strings.CutSuffix(c.Param("token"), ".json")
	if !ok {
		return h.fail(c, domain.ErrNotFound, true)
	}
	if err := h.unsubscribe(c, tok); err != nil {
		return h.fail(c, err, true)
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.NoContent(http.StatusNoContent)
}

// unsubscribePage asks to confirm, so that a link prefetched by a mail
// client unsubscribes nobody.
func (h *Handler) unsubscribePage(c echo.Context) error {
	if _, err := h.store.PageBySlug(c.Request().Context(), c.Param("slug")); err != nil {
		return h.fail(c, err, false)
	}
	return c.HTML(http.StatusOK, formPage("Unsubscribe", "Stop receiving this page's updates?", "", "Unsubscribe"))
}

func (h *Handler) unsubscribeForm(c echo.Context) error {
	err := h.unsubscribe(c, c.Param("token"))
	if errors.Is(err, domain.ErrNotFound) {
		return h.message(c, http.StatusOK, "Unsubscribed", "You are not subscribed to this page.")
	}
	if err != nil {
		return h.fail(c, err, false)
	}
	return h.message(c, http.StatusOK, "Unsubscribed", "You will not hear from this page again.")
}

func (h *Handler) message(c echo.Context, status int, title, msg string) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(status, messagePage(title, msg))
}

// confirmation asks an address to confirm its subscription to a page.
func confirmation(to, pageName, confirmURL, unsubscribeURL string) mail.Message {
	return mail.Message{
		To: to, Subject: "Confirm your subscription to " + pageName + " status", Unsubscribe: unsubscribeURL,
		Body: "Someone, hopefully you, asked to be told of changes to the status of " + pageName + ".\n\n" +
			"Confirm the subscription: " + confirmURL + "\n\n" +
			"Nothing is sent to you until you do. If it was not you, ignore this message.\n\n" +
			"Unsubscribe: " + unsubscribeURL + "\n",
	}
}
