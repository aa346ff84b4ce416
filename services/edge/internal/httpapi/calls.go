package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
)

// The REST handlers differ in the call they make, how they read the
// request and how they show the answer; the helpers below are the rest,
// written once: the call timeout, the error mapping, the status, the
// Location of a created object and the envelope of a page.

// rpc is a unary method of a backing service's client, such as
// h.users.GetUser.
type rpc[Req, Resp any] func(context.Context, Req, ...grpc.CallOption) (Resp, error)

// invoke calls a backing service with req within the call timeout, and
// says its refusal in HTTP.
func invoke[Req, Resp any](h *Handler, c echo.Context, call rpc[Req, Resp], req Req) (Resp, error) {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := call(ctx, req)
	if err != nil {
		return resp, fromGRPC(err)
	}
	return resp, nil
}

// reply calls a backing service with req and answers status with the
// object of its response: pick takes it out, view shows it.
func reply[Req, Resp, Obj, T any](h *Handler, c echo.Context, status int, call rpc[Req, Resp], req Req, pick func(Resp) Obj, view func(Obj) T) error {
	resp, err := invoke(h, c, call, req)
	if err != nil {
		return err
	}
	return c.JSON(status, view(pick(resp)))
}

// replyEmpty calls a backing service with req and answers 204, for a
// DELETE whose object is gone.
func replyEmpty[Req, Resp any](h *Handler, c echo.Context, call rpc[Req, Resp], req Req) error {
	if _, err := invoke(h, c, call, req); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// decodeRequest reads the JSON body into a B and makes the request of it
// with build, which refuses a body that makes none.
func decodeRequest[B, Req any](c echo.Context, build func(B) (Req, error)) (Req, error) {
	var body B
	if err := httpx.DecodeJSON(c, &body); err != nil {
		var none Req
		return none, err
	}
	return build(body)
}

// apply is reply for a request made of the JSON body (see decodeRequest).
func apply[B, Req, Resp, Obj, T any](h *Handler, c echo.Context, status int, call rpc[Req, Resp], build func(B) (Req, error), pick func(Resp) Obj, view func(Obj) T) error {
	req, err := decodeRequest(c, build)
	if err != nil {
		return err
	}
	return reply(h, c, status, call, req, pick, view)
}

// create is apply for a POST that makes an object: 201, and the Location
// of the object, under collection by its id.
func create[B, Req, Resp any, Obj interface{ GetId() string }, T any](h *Handler, c echo.Context, collection string, call rpc[Req, Resp], build func(B) (Req, error), pick func(Resp) Obj, view func(Obj) T) error {
	req, err := decodeRequest(c, build)
	if err != nil {
		return err
	}
	resp, err := invoke(h, c, call, req)
	if err != nil {
		return err
	}
	obj := pick(resp)
	return created(c, collection+obj.GetId(), view(obj))
}

// created answers 201 with v and where the record is.
func created(c echo.Context, location string, v any) error {
	c.Response().Header().Set(echo.HeaderLocation, location)
	return c.JSON(http.StatusCreated, v)
}

// listQuery makes a list request for a page of size items from token
// (?limit= and ?cursor=), reading the listing's own filters from c.
type listQuery[Req any] func(c echo.Context, size int32, token string) (Req, error)

// pageQuery reads ?limit= and ?cursor=, then the request query makes of
// them; a bad limit is refused first.
func pageQuery[Req any](c echo.Context, query listQuery[Req]) (Req, error) {
	limit, cursor, err := pageParams(c)
	if err != nil {
		var none Req
		return none, err
	}
	return query(c, int32(limit), cursor)
}

// listPage answers a page of a listing: query makes the request, items
// takes the page's objects out of the response and view shows each, with
// the cursor of the next page the backing service handed out.
func listPage[Req any, Resp interface{ GetNextPageToken() string }, Obj, T any](h *Handler, c echo.Context, call rpc[Req, Resp], query listQuery[Req], items func(Resp) []Obj, view func(Obj) T) error {
	req, err := pageQuery(c, query)
	if err != nil {
		return err
	}
	resp, err := invoke(h, c, call, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(items(resp), view, resp.GetNextPageToken()))
}

// listOfRows is the list envelope of rows the edge read from its own
// store, asking for one over limit: that one says there is a next page,
// which starts after the id of this page's last row.
func listOfRows[Row, T any](rows []Row, limit int, id func(Row) string, view func(Row) T) list[T] {
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = grpcx.EncodeToken(id(rows[limit-1]))
	}
	return listOf(rows, view, next)
}

// listOf is the list envelope of objs shown by view; next is empty on the
// last page, and for listings that are a single page.
func listOf[Obj, T any](objs []Obj, view func(Obj) T, next string) list[T] {
	out := list[T]{Data: make([]T, 0, len(objs)), NextCursor: next}
	for _, o := range objs {
		out.Data = append(out.Data, view(o))
	}
	return out
}
