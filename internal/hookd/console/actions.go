package console

import (
	"fmt"
	"net/http"
	"net/url"
)

// testWebhook is the API's POST /v1/webhooks/{id}/test with the chosen
// catalog type: one synchronous attempt, whose outcome the test delivery's
// page shows.
func (c *Console) testWebhook(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("webhook_id")
	var res testResult
	err := c.call(r.Context(), sess, http.MethodPost, "/v1/webhooks/"+url.PathEscape(id)+"/test",
		map[string]string{"event_type": r.PostFormValue("event_type")}, "", formKey(r), &res)
	if err != nil {
		c.done(w, r, sess, "/console/webhooks/"+url.PathEscape(id), err, "")
		return
	}
	outcome := "no response"
	if res.ResponseStatusCode != nil {
		outcome = fmt.Sprintf("HTTP %d", *res.ResponseStatusCode)
	}
	if res.Error != nil {
		outcome += ": " + *res.Error
	}
	msg := fmt.Sprintf("Test event sent: %s in %d ms.", outcome, res.DurationMS)
	f := flash{OK: res.Succeeded, Message: msg}
	if !res.Succeeded {
		f.Message = "Test event failed: " + outcome + "."
	}
	c.setFlash(r, sess, f)
	http.Redirect(w, r, "/console/deliveries/"+url.PathEscape(res.DeliveryID), http.StatusSeeOther)
}

type catalogView struct {
	Categories []category
}

type category struct {
	Name  string
	Types []catalogEntry
}

type catalogEntry struct {
	eventType
	SchemaText, ExampleText string
}

func (c *Console) catalogPage(w http.ResponseWriter, r *http.Request, sess *session) {
	var types list[eventType]
	if err := c.get(r.Context(), sess, "/v1/webhooks/events", &types); err != nil {
		c.fail(w, r, sess, err)
		return
	}
	var v catalogView
	index := map[string]int{}
	for _, et := range types.Data {
		i, ok := index[et.Category]
		if !ok {
			i = len(v.Categories)
			index[et.Category] = i
			v.Categories = append(v.Categories, category{Name: et.Category})
		}
		v.Categories[i].Types = append(v.Categories[i].Types, catalogEntry{eventType: et, SchemaText: indent(et.Schema), ExampleText: indent(et.Example)})
	}
	c.render(w, http.StatusOK, "catalog", sess, pageData{Title: "Event catalog", Data: v})
}
