package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxListed bounds the examples a failure quotes.
const maxListed = 5

// check compares what the database recorded with what the receiver got,
// fills the report's counts and returns every violation found.
func check(ctx context.Context, p *probe, rc *receiver, rep *report) error {
	ds, err := p.deliveries(ctx, loadPrefix)
	if err != nil {
		return err
	}
	keys, err := p.attempts(ctx)
	if err != nil {
		return err
	}
	if rep.stuck, err = p.resumed(ctx, rep.leasesAtKill); err != nil {
		return err
	}
	if rep.failures, err = p.failures(ctx); err != nil {
		return err
	}
	reqs, overlaps := rc.snapshot()
	rep.deliveries, rep.requests = len(ds), len(reqs)
	return errors.Join(judge(rep, ds, keys, reqs, overlaps)...)
}

// judge is check without the I/O: every rule of the issue, each a
// violation with the first examples.
func judge(rep *report, ds []delivery, keys []attemptKey, reqs []request, overlaps []string) []error {
	var errs []error
	fail := func(what string, examples []string) {
		if len(examples) > maxListed {
			examples = append(examples[:maxListed], fmt.Sprintf("... %d more", len(examples)-maxListed))
		}
		errs = append(errs, fmt.Errorf("%s: %s", what, strings.Join(examples, "; ")))
	}

	if want := rep.cfg.events * rep.cfg.webhooks; len(ds) != want {
		errs = append(errs, fmt.Errorf("%d deliveries in the database, want %d (%d events x %d webhooks)", len(ds), want, rep.cfg.events, rep.cfg.webhooks))
	}
	known := map[string]delivery{}
	var notSucceeded []string
	for _, d := range ds {
		known[d.ID] = d
		if d.Status != "succeeded" {
			notSucceeded = append(notSucceeded, fmt.Sprintf("%s is %s after %d attempts", d.ID, d.Status, d.Attempts))
		}
	}
	rep.notSucceeded, rep.overlaps = len(notSucceeded), len(overlaps)
	if len(notSucceeded) > 0 {
		fail(fmt.Sprintf("%d deliveries did not succeed", len(notSucceeded)), notSucceeded)
	}
	if len(overlaps) > 0 {
		fail(fmt.Sprintf("%d overlapping attempts of one delivery", len(overlaps)), overlaps)
	}

	byDelivery := map[string][]request{}
	byKey := map[attemptKey][]request{}
	var strangers []string
	for _, r := range reqs {
		if !r.Start.After(rep.lastPublish) {
			rep.whilePublishing++
		}
		if _, ok := known[r.DeliveryID]; !ok {
			strangers = append(strangers, fmt.Sprintf("%s attempt %d", r.DeliveryID, r.Attempt))
		}
		byDelivery[r.DeliveryID] = append(byDelivery[r.DeliveryID], r)
		k := attemptKey{r.DeliveryID, r.Attempt}
		byKey[k] = append(byKey[k], r)
	}
	if len(strangers) > 0 {
		fail(fmt.Sprintf("%d requests of deliveries not in the database", len(strangers)), strangers)
	}
	var lost []string
	for _, d := range ds {
		if len(byDelivery[d.ID]) == 0 {
			lost = append(lost, d.ID)
		}
	}
	if len(lost) > 0 {
		fail(fmt.Sprintf("%d deliveries never received", len(lost)), lost)
	}
	rep.duplicates = len(reqs) - len(byDelivery)

	// Every recorded attempt was received. A request received beyond the
	// recorded attempts of its number is one the killed process made and
	// died before recording: its lease then ran out and the same number
	// was attempted again. So it must come from the killed process, for a
	// delivery that process held then (rep.stuck): sent before the kill,
	// or, when the receiver got it only after the kill, on a connection no
	// live process holds (the kernel delivers what the dead process had
	// written).
	recorded := map[attemptKey]int{}
	var phantom []string
	for _, k := range keys {
		if _, ok := known[k.DeliveryID]; !ok {
			continue // not of the load (none are, before the wake-up phase)
		}
		recorded[k]++
		if len(byKey[k]) == 0 {
			phantom = append(phantom, k.String())
		}
	}
	if len(phantom) > 0 {
		fail(fmt.Sprintf("%d recorded attempts the receiver never got", len(phantom)), phantom)
	}
	stuck := map[string]bool{}
	for _, id := range rep.stuck {
		stuck[id] = true
	}
	// The kill interrupted attempts (else it proved nothing), and a process
	// other than the killed one took over at least one of them: the first
	// request of a stuck delivery made after the kill (not what the dead
	// process had written, arriving late) came from another.
	if len(rep.stuck) == 0 {
		errs = append(errs, fmt.Errorf("the kill interrupted no attempt: no lease of %s resumed after running out (kill later in the load, or load more)", rep.killedSender))
	}
	for _, id := range rep.stuck {
		var first *request
		for i, r := range byDelivery[id] {
			late := r.From == goneSender || r.From == rep.killedSender
			if r.Start.After(rep.killTime) && !late && (first == nil || r.Start.Before(first.Start)) {
				first = &byDelivery[id][i]
			}
		}
		if first != nil && first.From.proc >= 0 && first.From.proc != rep.killedSender.proc {
			rep.takenOver++
		}
	}
	if len(rep.stuck) > 0 && rep.takenOver == 0 {
		errs = append(errs, fmt.Errorf("none of the %d deliveries held by %s at the kill was taken over by another process", len(rep.stuck), rep.killedSender))
	}
	var unexplained []string
	for k, rs := range byKey {
		extra := len(rs) - recorded[k]
		if extra <= 0 {
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		for _, r := range rs[:extra] {
			rep.unrecorded++
			if !r.End.IsZero() && r.End.Before(rep.killTime) {
				rep.unrecordedAge = max(rep.unrecordedAge, rep.killTime.Sub(r.End))
			}
			// goneSender is the killed process too, whenever its request
			// started: the receiver attributes a connection by the
			// sockets it finds, and one accepted just before the kill
			// may first be looked up once its process is gone.
			byKilled := (r.From == rep.killedSender && r.Start.Before(rep.killTime)) || r.From == goneSender
			if !byKilled || !stuck[k.DeliveryID] {
				unexplained = append(unexplained, fmt.Sprintf("%s from %s at %s (kill of %s at %s; held by it then: %t)",
					k, r.From, r.Start.Format(time.StampMicro), rep.killedSender, rep.killTime.Format(time.StampMicro), stuck[k.DeliveryID]))
			}
		}
	}
	if len(unexplained) > 0 {
		fail(fmt.Sprintf("%d received attempts never recorded, and not in flight on the killed process", len(unexplained)), unexplained)
	}
	if rep.duplicates > len(rep.stuck) {
		failed := "none"
		if len(rep.failures) > 0 {
			failed = fmt.Sprint(rep.failures)
		}
		errs = append(errs, fmt.Errorf("%d duplicate requests at the receiver, more than the %d attempts in flight on the killed process (failed attempts: %s)",
			rep.duplicates, len(rep.stuck), failed))
	}

	// Wake-up latency: publish sent to the first request of each delivery,
	// by whether the process that published made that first attempt.
	for id, rs := range byDelivery {
		d, ok := known[id]
		if !ok {
			continue
		}
		pub, ok := rep.publishedAt[d.EventID]
		if !ok {
			continue
		}
		first := rs[0]
		for _, r := range rs[1:] {
			if r.Start.Before(first.Start) {
				first = r
			}
		}
		lat := first.Start.Sub(pub.sent)
		from := first.From
		if from == goneSender {
			from = rep.killedSender // the only process that dies
		}
		switch {
		case from.proc < 0:
			rep.unattributed++
			rep.latAll = append(rep.latAll, lat)
		case from.proc == pub.proc:
			rep.latSame = append(rep.latSame, lat)
			rep.latAll = append(rep.latAll, lat)
		default:
			rep.latCross = append(rep.latCross, lat)
			rep.latAll = append(rep.latAll, lat)
		}
	}
	return errs
}
