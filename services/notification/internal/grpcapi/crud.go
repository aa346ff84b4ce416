package grpcapi

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
)

// The Create, Get, List, Update and Delete RPCs of users, teams,
// schedules, escalation policies and routes share one shape: the
// organisation required, the store called, its error mapped by toStatus
// naming the resource (what). The helpers below are that shape, so that a
// handler keeps only what is its resource's own: how it reads the spec,
// checks it, builds or changes the record, and answers.

// create checks spec and stores the record build makes of it, stamped
// now, once the spec passed.
func create[S, R any](ctx context.Context, orgID, what string, clock clockwork.Clock, spec S,
	check func(S) error, build func(spec S, now time.Time) R, save func(context.Context, R) error,
) (R, error) {
	var zero R
	if err := grpcx.RequireOrg(orgID); err != nil {
		return zero, err
	}
	if err := check(spec); err != nil {
		return zero, toStatus(err, what)
	}
	r := build(spec, pgdb.Now(clock))
	if err := save(ctx, r); err != nil {
		return zero, toStatus(err, what)
	}
	return r, nil
}

// get loads the record id of the organisation.
func get[R any](ctx context.Context, orgID, id, what string, load func(ctx context.Context, orgID, id string) (R, error)) (R, error) {
	var zero R
	if err := grpcx.RequireOrg(orgID); err != nil {
		return zero, err
	}
	r, err := load(ctx, orgID, id)
	if err != nil {
		return zero, toStatus(err, what)
	}
	return r, nil
}

// list loads the page req asks for, records keyed by id in the order of
// their ids, and returns it converted with conv, with the token of the
// next page ("" on the last).
func list[R, P any](ctx context.Context, req grpcx.PageRequest, what string,
	load func(ctx context.Context, orgID, beforeID string, limit int) ([]R, error), id func(R) string, conv func(R) P,
) ([]P, string, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, "", err
	}
	// One more than the page, to learn whether another follows.
	rows, err := load(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, "", toStatus(err, what)
	}
	rows, next := grpcx.CutPage(rows, size, func(r R) string { return grpcx.EncodeToken(id(r)) })
	var out []P
	for _, r := range rows {
		out = append(out, conv(r))
	}
	return out, next, nil
}

// updateRequest is what every Update request carries besides the id and
// the spec.
type updateRequest interface {
	GetOrgId() string
	GetUpdateMask() *fieldmaskpb.FieldMask
}

// update changes the record id once the update mask is checked against
// fields: change gets the stored record, the fields the mask names and
// the time of the change, and returns the record to store, or why not.
func update[R any](ctx context.Context, req updateRequest, id, what string, fields []string, clock clockwork.Clock,
	store func(ctx context.Context, orgID, id string, change func(R) (R, error)) (R, error),
	change func(r R, fields []string, now time.Time) (R, error),
) (R, error) {
	var zero R
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return zero, err
	}
	mask := req.GetUpdateMask().GetPaths()
	if err := checkMask(mask, fields, what); err != nil {
		return zero, err
	}
	now := pgdb.Now(clock)
	r, err := store(ctx, req.GetOrgId(), id, func(r R) (R, error) { return change(r, mask, now) })
	if err != nil {
		return zero, toStatus(err, what)
	}
	return r, nil
}

// remove deletes the record id of the organisation.
func remove(ctx context.Context, orgID, id, what string, del func(ctx context.Context, orgID, id string) error) error {
	if err := grpcx.RequireOrg(orgID); err != nil {
		return err
	}
	if err := del(ctx, orgID, id); err != nil {
		return toStatus(err, what)
	}
	return nil
}

// checkMask refuses an update mask that names no field, or one that is
// not one of fields.
func checkMask(paths, fields []string, kind string) error {
	if len(paths) == 0 {
		return grpcx.InvalidField("update_mask", "names no field to change")
	}
	for _, f := range paths {
		if !slices.Contains(fields, f) {
			return grpcx.InvalidField("update_mask", fmt.Sprintf("%q is not a field of a %s", f, kind))
		}
	}
	return nil
}
