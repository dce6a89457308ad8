/**
 * The grammars config/schema transcribes, against cases of their upstream tests: robfig/cron v3.0.1 parser_test.go
 * (TestRange, TestParseScheduleErrors, TestStandardSpecSchedule), Go's time.ParseDuration (src/time/time_test.go),
 * distribution/reference v0.6.0 (regexp_test.go, reference_test.go) and apimachinery's validation_test.go.
 */
import { expect } from "chai";
import { annotationsSize, isAnnotationKey, isDNS1123Label, isLabelKey, isLabelValue } from "../config/schema/apimachinery";
import { cronScheduleProblem, goDurationProblem } from "../config/schema/cron";
import { DOMAIN_RE, readAsRegistry, REFERENCE_RE, REMOTE_NAME_RE, TAG_RE } from "../config/schema/reference";

describe("grammars transcribed from upstream", () => {
    it("robfig/cron's standard parser, as Kubernetes calls it", () => {
        // TestRange's error cases, as the minute field of a schedule.
        for (const [expr, err] of [
            ["5--5", "too many hyphens"],
            ["2-x", "failed to parse int from"],
            ["*/-12", "negative number"],
            ["*//2", "too many slashes"],
            ["60", "above maximum"],
            ["5-3", "beyond end of range"],
            ["*/0", "step of range should be a positive number"],
        ]) {
            expect(cronScheduleProblem(`${expr} * * * *`), expr).to.include(err);
        }
        expect(cronScheduleProblem("5 j * * *")).to.include("failed to parse int from");
        expect(cronScheduleProblem("* * * *")).to.include("expected exactly 5 fields");
        expect(cronScheduleProblem("@every Xm")).to.include("failed to parse duration");
        expect(cronScheduleProblem("@unrecognized")).to.include("unrecognized descriptor");
        expect(cronScheduleProblem("")).to.equal("empty spec string");
        expect(cronScheduleProblem("CRON_TZ=UTC 5 * * * *")).to.include("TZ");
        // Accepted, quirks included: '?' anywhere, names in any case, '*-5' read as '*', empty list items skipped, tabs.
        for (const ok of ["5 * * * *", "@every 5m", "@midnight", "? ? ? ? ?", "0 0 * JAN-dec Sun", "*-5 * * * *", "1,,2 * * * *", "0\t2 * * *", "+5 * * * *"]) {
            expect(cronScheduleProblem(ok), ok).to.equal(undefined);
        }
    });

    it("Go's time.ParseDuration", () => {
        for (const ok of [
            "0",
            "5s",
            "30s",
            "1478s",
            "-5s",
            "+5s",
            "-0",
            "5.0s",
            "5.6s",
            "5.s",
            ".5s",
            "1.004s",
            "100.00100s",
            "10ns",
            "11us",
            "12µs",
            "12μs",
            "13ms",
            "14s",
            "15m",
            "16h",
            "3h30m",
            "10.5s4m",
            "-2m3.4s",
            "1h2m3s4ms5us6ns",
            "39h9m14.425s",
            "9223372036854775807ns",
            "9223372036s854ms775us807ns",
        ]) {
            expect(goDurationProblem(ok), ok).to.equal(undefined);
        }
        for (const bad of [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\x85\x85",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
        ]) {
            expect(goDurationProblem(bad), bad).to.not.equal(undefined);
        }
    });

    it("distribution/reference", () => {
        for (const ok of ["1.2.3", "v1.0", "latest", "a".repeat(128), "_x", "2.16.1-pg16-bitnami"]) expect(TAG_RE.test(ok), ok).to.equal(true);
        for (const bad of ["1.2.0+build.7", ".x", "-x", "a".repeat(129), "", "ünï"]) expect(TAG_RE.test(bad), bad).to.equal(false);
        for (const ok of ["a", "a/b", "a_b", "a__b", "a--b", "a---b", "a.b", "foo/bar/baz"]) expect(REMOTE_NAME_RE.test(ok), ok).to.equal(true);
        for (const bad of ["A", "a___b", "a_-b", "a//b", "-a", "a-", "a/", "a..b"]) expect(REMOTE_NAME_RE.test(bad), bad).to.equal(false);
        for (const ok of ["localhost", "localhost:5000", "registry.example.com", "Registry.Example.com:443", "[::1]:5000", "10.0.0.1:5000"]) {
            expect(DOMAIN_RE.test(ok), ok).to.equal(true);
        }
        for (const bad of ["a..b", "-a.com", "a.com:", "a.com:x", "a_b.com"]) expect(DOMAIN_RE.test(bad), bad).to.equal(false);
        expect(readAsRegistry("registry")).to.equal(false);
        expect(readAsRegistry("localhost")).to.equal(true);
        expect(readAsRegistry("Registry")).to.equal(true);
        expect(REFERENCE_RE.test("registry.example.com:5000/pulse/ui:1.2.3@sha256:" + "a".repeat(64))).to.equal(true);
        expect(REFERENCE_RE.test("pulse/ui:1.2.0+build.7")).to.equal(false);
    });

    it("apimachinery's names, labels and annotations", () => {
        for (const ok of [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "1.2.3.4/simple",
            "a".repeat(63),
            "example.com/MyName",
            "my.name",
            "123-abc",
        ]) {
            expect(isLabelKey(ok), ok).to.deep.equal([]);
        }
        for (const bad of [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            "a".repeat(64),
            "Team Name",
        ]) {
            expect(isLabelKey(bad), bad).to.not.deep.equal([]);
        }
        for (const ok of ["", "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "a".repeat(63), "A_B.c"])
            expect(isLabelValue(ok), ok).to.deep.equal([]);
        for (const bad of ["nospecialchars%^=@", "Tama-nui-te-rā", "Tama-nui-te-ra\u0304", "-cantstart", "cantend-", "a".repeat(64), "a b"]) {
            expect(isLabelValue(bad), bad).to.not.deep.equal([]);
        }
        expect(isAnnotationKey("Example.Com/Key")).to.deep.equal([]);
        expect(annotationsSize({ ab: "cde", é: "" })).to.equal(7);
        expect(isDNS1123Label("a.b")).to.deep.equal(["must not contain dots"]);
    });
});
