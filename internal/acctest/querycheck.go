package acctest

import (
	"context"

	"github.com/hashicorp/terraform-plugin-testing/querycheck"
)

// QueryCheck turns a function into a querycheck.QueryResultCheck, for what
// the querycheck package has no check of (such as the API calls a query
// made, or a result without a resource object). It sees every result of the
// query step.
func QueryCheck(check func(querycheck.CheckQueryRequest) error) querycheck.QueryResultCheck {
	return queryCheckFunc(check)
}

type queryCheckFunc func(querycheck.CheckQueryRequest) error

func (f queryCheckFunc) CheckQuery(_ context.Context, req querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	resp.Error = f(req)
}
