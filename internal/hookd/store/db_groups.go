package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

const groupColumns = `id, name, description, created_at, updated_at`

// scanGroup reads one row of groupColumns.
func scanGroup(row interface{ Scan(...any) error }) (Group, error) {
	var (
		g                    Group
		desc                 sql.NullString
		createdAt, updatedAt int64
	)
	if err := row.Scan(&g.ID, &g.Name, &desc, &createdAt, &updatedAt); err != nil {
		return Group{}, err
	}
	g.Description = stringPtr(desc)
	g.CreatedAt = fromNanos(createdAt)
	g.UpdatedAt = fromNanos(updatedAt)
	return g, nil
}

// getGroup reads a group; lock is "" or dialect.forUpdate().
func getGroup(ctx context.Context, q querier, id, lock string) (*Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE id = ?`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("group %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get group %s: %w", id, err)
	}
	return &g, nil
}

// CreateGroup stores g, with the idempotent outcome ctx carries (see
// WithIdempotentOutcome); another group with g.Name gives ErrNameTaken.
func (s *DB) CreateGroup(ctx context.Context, g *Group) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO groups (`+groupColumns+`) VALUES (?, ?, ?, ?, ?)`,
			g.ID, g.Name, nullString(g.Description), toNanos(g.CreatedAt), toNanos(g.UpdatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("group name %q: %w", g.Name, ErrNameTaken)
		}
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		return s.completeIdempotentFrom(ctx, tx, g)
	})
}

// GetGroup returns the group or ErrNotFound.
func (s *DB) GetGroup(ctx context.Context, id string) (*Group, error) {
	return getGroup(ctx, s.reader, id, "")
}

// ListGroups returns one page ordered by (CreatedAt, ID).
func (s *DB) ListGroups(ctx context.Context, f GroupFilter, p Page) ([]Group, string, error) {
	l := listQuery[Group]{
		kind:   "groups",
		query:  `SELECT ` + groupColumns + ` FROM groups`,
		scan:   func(r *sql.Rows) (Group, error) { return scanGroup(r) },
		keyOf:  func(g *Group) (time.Time, string) { return g.CreatedAt, g.ID },
		source: s.reader,
	}
	if f.NamePrefix != "" {
		// substr counts characters, as the prefix's length is counted;
		// LIKE would ignore case and need its wildcards escaped.
		l.where = append(l.where, "substr(name, 1, ?) = ?")
		l.args = append(l.args, utf8.RuneCountInString(f.NamePrefix), f.NamePrefix)
	}
	return l.run(ctx, p)
}

// UpdateGroup applies fn to the stored group and writes it back, all under
// the write lock, so concurrent updates cannot lose each other's changes.
// fn cannot change ID or CreatedAt; renaming onto a taken name gives
// ErrNameTaken.
func (s *DB) UpdateGroup(ctx context.Context, id string, fn func(*Group) error) (*Group, error) {
	var out *Group
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := getGroup(ctx, tx, id, s.dialect.forUpdate())
		if err != nil {
			return err
		}
		g := copyGroup(old)
		if err := fn(g); err != nil {
			return err
		}
		g.ID, g.CreatedAt = old.ID, old.CreatedAt
		_, err = tx.ExecContext(ctx,
			`UPDATE groups SET name = ?, description = ?, updated_at = ? WHERE id = ?`,
			g.Name, nullString(g.Description), toNanos(g.UpdatedAt), g.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("group name %q: %w", g.Name, ErrNameTaken)
		}
		if err != nil {
			return fmt.Errorf("update group %s: %w", id, err)
		}
		out = g
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteGroup deletes an empty group.
func (s *DB) DeleteGroup(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var exists, used bool
		err := tx.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM groups WHERE id = ?),
			EXISTS (SELECT 1 FROM webhooks WHERE group_id = ?)`, id, id).Scan(&exists, &used)
		if err != nil {
			return fmt.Errorf("delete group %s: %w", id, err)
		}
		if !exists {
			return fmt.Errorf("group %s: %w", id, ErrNotFound)
		}
		if used {
			return fmt.Errorf("group %s: %w", id, ErrGroupNotEmpty)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, id)
		if isForeignKeyViolation(err) { // cannot happen after the check; kept as a backstop
			return fmt.Errorf("group %s: %w", id, ErrGroupNotEmpty)
		}
		if err != nil {
			return fmt.Errorf("delete group %s: %w", id, err)
		}
		return nil
	})
}

// copyGroup is a deep copy, so that fn in UpdateGroup cannot reach the
// loaded value through a shared pointer.
func copyGroup(g *Group) *Group {
	c := *g
	c.Description = clonePtr(g.Description)
	return &c
}
