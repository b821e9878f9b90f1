package rules_test

import (
	"strings"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// URLProblem is the whole of the rule that does not depend on a server's
// configuration: what it refuses, every hookd refuses, with these words.
func TestURLProblem(t *testing.T) {
	for _, ok := range []string{
		"https://example.com/webhooks", "HTTPS://example.com", "https://example.com:8443/a?b=c",
		"https://8.8.8.8/x", "https://[2606:4700::1111]/x", "https://example.com/" + strings.Repeat("é", 2048-len("https://example.com/")),
		// Private and loopback destinations depend on the server's
		// --allow-private-destinations: not this rule's call.
		"https://127.0.0.1/x", "https://10.0.0.1/x", "https://localhost/x",
		"http://127.0.0.1:9000/hooks", "http://localhost/x", "http://[::1]/x", "http://192.168.1.1/x",
		"https://example.com:1/x", "https://example.com:65535/x", "https://example.com:/x", "https://[2606:4700::1111]:8443/x",
		// A name in other scripts, or in fullwidth letters, is a name:
		// DNS says where it leads, at every dial.
		"https://bücher.de/x", "https://ｅｘａｍｐｌｅ.com/x",
	} {
		if p := rules.URLProblem(ok); p != "" {
			t.Errorf("URLProblem(%q) = %q, want none", ok, p)
		}
	}
	for raw, want := range map[string]string{
		"":                                                 "must be an absolute URL such as https://example.com/webhooks",
		"example.com/hooks":                                "must be an absolute URL such as https://example.com/webhooks",
		"https:///hooks":                                   "must be an absolute URL such as https://example.com/webhooks",
		"mailto:a@example.com":                             "must be an absolute URL such as https://example.com/webhooks",
		"https://u:pw@example.com/hooks":                   "must not contain credentials (user:password@); remove them and send them with auth_token or headers instead",
		"https://token@example.com":                        "must not contain credentials (user:password@); remove them and send them with auth_token or headers instead",
		"https://example.com/hooks#x":                      "must not contain a fragment (#...), which is never sent to the receiver; remove the # and what follows it",
		"https://example.com/#":                            "must not contain a fragment (#...), which is never sent to the receiver; remove the # and what follows it",
		"http://example.com/hooks":                         "must use https; plain http is accepted only for loopback and private hosts: write https:// instead of http://",
		"http://8.8.8.8/hooks":                             "must use https; plain http is accepted only for loopback and private hosts: write https:// instead of http://",
		"ftp://example.com/hooks":                          `must use https, not "ftp": write https:// instead of ftp://`,
		"https://2130706433/":                              `has the host "2130706433", an IPv4 address in a non-standard form; write it as 127.0.0.1`,
		"https://0177.0.0.1/":                              `has the host "0177.0.0.1", an IPv4 address in a non-standard form; write it as 127.0.0.1`,
		"https://0x7f000001/":                              `has the host "0x7f000001", an IPv4 address in a non-standard form; write it as 127.0.0.1`,
		"http://127.1/":                                    `has the host "127.1", an IPv4 address in a non-standard form; write it as 127.0.0.1`,
		"https://134744072/":                               `has the host "134744072", an IPv4 address in a non-standard form; write it as 8.8.8.8`,
		"https://example.com:65536/":                       "must have a port from 1 to 65535, got 65536; write the port the receiver listens on, or leave it out for the default (443 with https)",
		"https://example.com:99999/":                       "must have a port from 1 to 65535, got 99999; write the port the receiver listens on, or leave it out for the default (443 with https)",
		"https://example.com:0/":                           "must have a port from 1 to 65535, got 0; write the port the receiver listens on, or leave it out for the default (443 with https)",
		"http://127.0.0.1:0/":                              "must have a port from 1 to 65535, got 0; write the port the receiver listens on, or leave it out for the default (443 with https)",
		"https://[::1]:70000/":                             "must have a port from 1 to 65535, got 70000; write the port the receiver listens on, or leave it out for the default (443 with https)",
		"https://example.com:99999999999999999999/":        "must have a port from 1 to 65535, got 99999999999999999999; write the port the receiver listens on, or leave it out for the default (443 with https)",
		"https://①②⑦.0.0.1:8443/":                          `has the host "①②⑦.0.0.1", which HTTP clients read as 127.0.0.1 (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as 127.0.0.1`,
		"https://127。0。0。1:8443/":                          `has the host "127。0。0。1", which HTTP clients read as 127.0.0.1 (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as 127.0.0.1`,
		"http://ｌｏｃａｌｈｏｓｔ:8443/":                           `has the host "ｌｏｃａｌｈｏｓｔ", which HTTP clients read as localhost (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as localhost`,
		"https://ＡＰＩ.ｌｏｃａｌｈｏｓｔ/":                           `has the host "ＡＰＩ.ｌｏｃａｌｈｏｓｔ", which HTTP clients read as api.localhost (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as api.localhost`,
		"https://８.８.８.８/":                                 `has the host "８.８.８.８", which HTTP clients read as 8.8.8.8 (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as 8.8.8.8`,
		"https://２１３０７０６４３３/":                              `has the host "２１３０７０６４３３", which HTTP clients read as 127.0.0.1 (they map look-alike characters such as fullwidth letters and digits to ASCII); write it as 127.0.0.1`,
		"https://example.com/\u202emoc":                    "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 21: control characters (tabs and line breaks too), bidirectional and zero-width characters are not allowed in one-line text; remove it",
		"https://example.com/" + strings.Repeat("é", 2029): "must be at most 2048 characters, got 2049; remove 1 character",
	} {
		if got := rules.URLProblem(raw); got != want {
			t.Errorf("URLProblem(%.40q)\n  %q\nwant\n  %q", raw, got, want)
		}
	}
}

// Azure's WireServer is refused with the other metadata services.
func TestMetadataAddressesArePrivate(t *testing.T) {
	for _, host := range []string{"169.254.169.254", "168.63.129.16", "[::ffff:168.63.129.16]", "[64:ff9b::a83f:8110]", "100.100.100.200", "[fd00:ec2::254]", "192.0.0.192"} {
		if !rules.IsPrivateHost(host) {
			t.Errorf("%s is not refused", host)
		}
	}
	for _, host := range []string{"168.63.129.15", "168.63.129.17"} {
		if rules.IsPrivateHost(host) {
			t.Errorf("%s is refused", host)
		}
	}
}
