"""The split suite has teeth: it fails against the known-bad factories, and only where it should.

Each run is a fresh pytest process (pytester) over the shipped suite, read back through JUnit XML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from harness.judging.junit import Case
from harness.suites.runner import SPLIT_SUITE_MODULE, run_split_suite

#: Judges several factories in one fresh process: the plugin's ``harness_client_factory`` is
#: overridden by a session fixture parametrized over them, and each case reports its factory.
#: With ``reverse`` the cases run in the opposite order (a verdict must not depend on it).
SEVERAL_FACTORIES_CONFTEST = """
import pytest

SPECS = {specs!r}
REVERSE = {reverse!r}


@pytest.fixture(scope="session", params=SPECS)
def harness_client_factory(request):
    return request.param


def pytest_itemcollected(item):
    item.user_properties.append(("factory", item.callspec.params["harness_client_factory"]))


def pytest_collection_modifyitems(items):
    if REVERSE:
        items.reverse()
"""


def run_suite(
    pytester: pytest.Pytester, specs: Sequence[str], *args: str, reverse: bool = False
) -> dict[str, dict[str, Case]]:
    """Run the split suite against each of ``specs`` in one fresh process; per factory, each
    case by its id."""
    pytester.makepyfile(nokeepalive=NO_KEEPALIVE_FACTORY, selfalarm=SELF_ALARM_FACTORY)
    pytester.makeconftest(SEVERAL_FACTORIES_CONFTEST.format(specs=list(specs), reverse=reverse))
    # the named factory is vetted and shown; the conftest's fixture decides what is judged
    named = ("--client-factory", "harness.targets.reference:factory")
    cases = run_split_suite(pytester, pytester.path / "report.xml", *named, *args)
    judged: dict[str, dict[str, Case]] = {spec: {} for spec in specs}
    for case in cases:
        (factory,) = [value for name, value in case.properties if name == "factory"]
        judged[factory][case.id] = case
    return judged


#: The right split with no TCP keepalive anywhere (the SDK's default clients, as Hermes 0.18.1+
#: builds them, with the Codex identity headers): fails only the keepalive checks, so it passes
#: once keepalive is not judged.
NO_KEEPALIVE_FACTORY = """
import openai

from harness.targets.reference import codex_identity_headers, is_codex_backend


def factory(provider, base_url, api_key, *, async_client=False):
    client = openai.AsyncOpenAI if async_client else openai.OpenAI
    codex = is_codex_backend(provider, base_url)
    headers = codex_identity_headers(api_key) if codex else None
    return client(api_key=api_key, base_url=base_url, default_headers=headers)
"""


#: The reference built under the factory's own SIGALRM timeout, as library timeouts do: correct,
#: so it must pass everything. The judge's clock runs outside the scenario's process, so the
#: factory's timer and handler work as in any program and cannot defeat the deadline.
SELF_ALARM_FACTORY = """
import signal

from harness.targets.reference import factory as reference


class BuildTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise BuildTimeout("building took over 5 s")


def factory(provider, base_url, api_key, *, async_client=False):
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        return reference(provider, base_url, api_key, async_client=async_client)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
"""


def codex_direct(case: Case) -> bool:
    """Codex cases whose connection goes straight to the backend (keepalive would be reset)."""
    return {"codex", "direct"} <= case.categories


def non_codex_via_proxy(case: Case) -> bool:
    """Non-Codex cases that must go through the proxy (a proxy-dropping client goes direct)."""
    return {"non-codex", "via-proxy"} <= case.categories


def keepalive_judged(case: Case) -> bool:
    """Non-Codex cases on a direct connection, where the origin sees the client's keepalive."""
    return {"non-codex", "direct"} <= case.categories


def plain_http_under_the_wrong_variable(case: Case) -> bool:
    """Plain-HTTP cases where HTTPS_PROXY must be ignored (https-proxy, proxy-only) or where
    HTTP_PROXY alone names the proxy: a rule blind to the scheme gets exactly these wrong."""
    wrong = {
        "label:https-proxy",
        "label:proxy-only",
        "label:env-HTTP_PROXY",
        "label:env-http_proxy",
    }
    return "scheme:http" in case.categories and bool(wrong & case.categories)


def non_codex_no_proxy(case: Case) -> bool:
    """Non-Codex cases NO_PROXY sends direct (the Codex path uses the SDK's own rules): the
    NO_PROXY spellings, and the condition whose NO_PROXY exempts openrouter.ai (socks5-proxy)."""
    exempted = {"direct", "condition:socks5-proxy"} <= case.categories
    return "non-codex" in case.categories and (
        exempted or any(c.startswith("label:no_proxy-") for c in case.categories)
    )


def socks_via_proxy(case: Case) -> bool:
    """Cases that must go through a SOCKS5 proxy (socks5-proxy, socks5h-proxy): a stack without
    SOCKS support cannot build their client, the SDK default's included."""
    socks = {"condition:socks5-proxy", "condition:socks5h-proxy"}
    return "via-proxy" in case.categories and bool(socks & case.categories)


def non_codex_socks_via_proxy(case: Case) -> bool:
    """Non-Codex cases that must go through a SOCKS5 proxy: a keepalive transport that keeps
    only http(s) proxy URLs goes direct there (the Codex client reads the variable itself)."""
    return "non-codex" in case.categories and socks_via_proxy(case)


def long_lived(case: Case) -> bool:
    """The long-lived rows: one process asks the factory for every endpoint's client."""
    return "label:long-lived" in case.categories


def openrouter(case: Case) -> bool:
    """The OpenRouter cases (a factory that ends its process building that client), and every
    long-lived row, whose process asks for the OpenRouter client too."""
    return "openrouter@" in case.id or long_lived(case)


def long_lived_codex(case: Case) -> bool:
    """Long-lived rows that judge a Codex endpoint: a cache keyed without the base URL hands
    them the client of the first endpoint asked for, on another host."""
    return long_lived(case) and "codex" in case.categories


def refused(case: Case) -> bool:
    """The cases whose proxy refuses every request (condition proxy-refuses): nothing the client
    sends reaches an origin, so nothing an origin judges can fail there."""
    return "condition:proxy-refuses" in case.categories


def codex(case: Case) -> bool:
    """Every Codex case an origin sees: direct or through the proxy, the client's ClientHello."""
    return "codex" in case.categories and not refused(case)


def tunnels_refused(case: Case) -> bool:
    """Non-Codex https cases whose proxy refuses the tunnel: a client that retries directly
    reaches the origin (a forwarded plain-HTTP request is refused with a reply, not an error)."""
    return {"non-codex", "scheme:https"} <= case.categories and refused(case)


def challenged(case: Case) -> bool:
    """The cases the Codex edge's challenge (identity headers and ClientHello) stands in front
    of."""
    return "condition:codex-edge-challenge" in case.categories


def stalled(case: Case) -> bool:
    """The cases whose stream the origin silences (condition codex-stream-stall)."""
    return "condition:codex-stream-stall" in case.categories


def blackholed(case: Case) -> bool:
    """The cases whose endpoint's IPv6 address blackholes (condition ipv6-blackhole): a client
    that connects over IPv6 only never reaches the origin there."""
    return "condition:ipv6-blackhole" in case.categories


def blackholed_sync(case: Case) -> bool:
    """The sync cases under ipv6-blackhole: httpcore's sync backend tries the addresses one after
    the other (IPv6 first, until its 5 s connect timeout); anyio races them 250 ms apart."""
    return blackholed(case) and "sync" in case.categories


def reaches_an_origin(case: Case) -> bool:
    """Every case reaches an origin, so a client on the wrong path fails them all, except where
    the proxy refuses the request before any origin sees its path."""
    return not refused(case)


#: Each known-bad factory, the options it runs with and the cases it must fail; every other case
#: must pass. With keepalive not judged, the regressed factory still fails the Codex cases.
KNOWN_BAD: dict[str, tuple[str, tuple[str, ...], Callable[[Case], bool]]] = {
    "regressed": ("harness.targets.regressed:factory", (), codex_direct),
    "proxyless": ("harness.targets.proxyless:factory", (), non_codex_via_proxy),
    "scheme_blind": (
        "harness.targets.schemeblind:factory",
        (),
        plain_http_under_the_wrong_variable,
    ),
    "no_proxy_blind": ("harness.targets.noproxyblind:factory", (), non_codex_no_proxy),
    # retries directly when the proxy refuses its tunnel, hiding the refusal
    "proxy_fallback": ("harness.targets.proxyfallback:factory", (), tunnels_refused),
    # a keepalive transport that drops a socks5:// proxy, and a stack without socksio
    "socks_blind": ("harness.targets.socksblind:factory", (), non_codex_socks_via_proxy),
    "no_socks": ("harness.targets.nosocks:factory", (), socks_via_proxy),
    # direct connections bound to the IPv6 wildcard address: no IPv4 to fall back to
    "ipv6_only": ("harness.targets.ipv6only:factory", (), blackholed),
    # the reference's sync client waits out its connect timeout on the blackholed IPv6 address
    "reference_connect_bound": (
        "harness.targets.reference:factory",
        ("--harness-connect-within", "1"),
        blackholed_sync,
    ),
    "no_keepalive": ("nokeepalive:factory", (), keepalive_judged),
    "regressed_keepalive_off": (
        "harness.targets.regressed:factory",
        ("--keepalive-idle", "off"),
        codex_direct,
    ),
    # one keepalive client for the whole process: what its transport earns, the regressed verdict
    "shared": ("harness.targets.shared:factory", (), codex_direct),
    "exiting": ("harness.targets.exiting:factory", (), openrouter),
    "wrong_path": ("harness.targets.wrongpath:factory", (), reaches_an_origin),
    # a Codex client with an SSL context of its own: another ClientHello than the SDK default's
    "own_ssl": ("harness.targets.ownssl:factory", (), codex),
    # state that only a process calling the factory more than once can show
    "fifth_call": ("harness.targets.fifthcall:factory", (), long_lived),
    "key_cached": ("harness.targets.keycached:factory", (), long_lived_codex),
    # a Codex client without the identity headers, on its only path or on the auxiliary one
    "no_identity": ("harness.targets.noidentity:factory", (), challenged),
    "aux_identity": ("harness.targets.auxidentity:auxiliary", (), challenged),
    # a client that gives up on a silent stream after 1 s, where it must wait (the default) ...
    "stream_idle_gives_up": ("harness.targets.streamidle:factory", (), stalled),
    # ... and one that waits, where it must give up within 1 s
    "reference_waits": (
        "harness.targets.reference:factory",
        ("--harness-stream-idle", "1"),
        stalled,
    ),
    # its ClientHello left unjudged, the edge's fingerprint rule (TLS 1.2 at most) still meets it
    "own_ssl_client_hello_off": (
        "harness.targets.ownssl:factory",
        ("--harness-client-hello", "off"),
        challenged,
    ),
}


#: Factories that split right and must pass everything, with the options they run with.
RIGHT = {
    "reference": ("harness.targets.reference:factory", ()),
    "no_keepalive_not_judged": ("nokeepalive:factory", ("--keepalive-idle", "off")),
    "cached": ("harness.targets.cached:factory", ()),
    "self_alarm": ("selfalarm:factory", ()),
    "aux_identity_main": ("harness.targets.auxidentity:factory", ()),
    "stream_idle_bounded": ("harness.targets.streamidle:factory", ("--harness-stream-idle", "1")),
    "no_identity_not_demanded": (
        "harness.targets.noidentity:factory",
        ("--harness-identity", "off"),
    ),
}
#: The fresh processes: each judges the factories of one option set; ``reversed`` runs its
#: cases in the opposite order.
RUNS = {
    "judged-1": ("reference", "regressed", "proxyless", "proxy_fallback"),
    "judged-2": ("scheme_blind", "no_proxy_blind", "no_keepalive", "fifth_call", "key_cached"),
    "network": ("socks_blind", "no_socks", "ipv6_only"),
    "connect-within": ("reference_connect_bound",),
    "keepalive-off": ("no_keepalive_not_judged", "regressed_keepalive_off"),
    "judged-3": ("self_alarm", "exiting", "wrong_path", "own_ssl", "stream_idle_gives_up"),
    "client-hello-off": ("own_ssl_client_hello_off",),
    "identity": ("no_identity", "aux_identity", "aux_identity_main"),
    "identity-off": ("no_identity_not_demanded",),
    "stream-idle": ("reference_waits", "stream_idle_bounded"),
    "reversed": ("cached", "shared"),
}


def _plan(run: str) -> tuple[tuple[str, ...], dict[str, tuple[str, Callable[[Case], bool]]]]:
    """The options of a run, and per name its factory and what it must fail."""
    plan: dict[str, tuple[str, Callable[[Case], bool]]] = {}
    options: set[tuple[str, ...]] = set()
    for name in RUNS[run]:
        if name in RIGHT:
            spec, args = RIGHT[name]
            plan[name] = (spec, lambda case: False)
        else:
            spec, args, predicts = KNOWN_BAD[name]
            plan[name] = (spec, predicts)
        options.add(args)
    (args,) = options  # one option set per process
    return args, plan


def skip_unless_chosen(config: pytest.Config, run: str) -> None:
    """``--self-check-runs`` narrows the runs (tox's openai3 env runs two); a name that is no
    run fails, so a renamed run cannot drop out of that selection unnoticed."""
    chosen: str | None = config.getoption("--self-check-runs")
    if chosen is None:
        return
    names = {name.strip() for name in chosen.split(",")}
    unknown = names - RUNS.keys()
    assert not unknown, f"--self-check-runs names no run {sorted(unknown)}; runs: {list(RUNS)}"
    if run not in names:
        pytest.skip(f"not among --self-check-runs {chosen}")


@pytest.mark.fresh_process
@pytest.mark.parametrize("run", RUNS)
def test_factories_fail_exactly_where_their_defect_predicts(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, run: str
) -> None:
    """The right split passes everything; a known-bad factory fails exactly the cases its
    defect predicts, read from the categories each case reports, and passes the rest."""
    skip_unless_chosen(request.config, run)
    args, plan = _plan(run)
    specs = [spec for spec, _ in plan.values()]
    judged = run_suite(pytester, specs, *args, reverse=run == "reversed")
    for name, (spec, predicts) in plan.items():
        cases = judged[spec]
        assert len(cases) > 300, (name, len(cases))
        assert all(case.categories for case in cases.values()), f"{name}: a case without categories"
        failed = {case_id for case_id, case in cases.items() if case.outcome == "failed"}
        expected = {case_id for case_id, case in cases.items() if predicts(case)}
        assert name in RIGHT or expected, (name, sorted(cases))
        assert failed == expected, (name, sorted(failed ^ expected))
        assert all(cases[case_id].outcome == "passed" for case_id in cases.keys() - expected), name


BAD_FACTORIES = {
    "no_colon": ("harness.targets.reference", "expected MODULE:ATTR"),
    "missing_module": ("harness.targets.nope:factory", "cannot import harness.targets.nope"),
    "missing_attr": ("harness.targets.reference:nope", "has no nope"),
    "not_callable": ("harness.targets.reference:CODEX_HOST", "is not callable"),
    "raises": ("badfactories:raising", "raised RuntimeError('boom')"),
    "wrong_type": ("badfactories:wrong_type", "returned str"),
    "sync_for_async": ("badfactories:sync_only", "returned OpenAI for async_client=True"),
}


@pytest.mark.parametrize("spec, message", BAD_FACTORIES.values(), ids=list(BAD_FACTORIES))
def test_unusable_factory_fails_the_run_at_once(
    pytester: pytest.Pytester, spec: str, message: str
) -> None:
    pytester.makepyfile(
        badfactories="""
        import openai

        def raising(provider, base_url, api_key, *, async_client=False):
            raise RuntimeError("boom")

        def wrong_type(provider, base_url, api_key, *, async_client=False):
            return "not a client"

        def sync_only(provider, base_url, api_key, *, async_client=False):
            return openai.OpenAI(api_key=api_key, base_url=base_url)
        """,
        test_inner_split=SPLIT_SUITE_MODULE,
    )
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("--client-factory", spec, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{spec}*{message}*"])
    result.stdout.no_fnmatch_line("*passed*")


def test_a_factory_that_ends_the_process_on_its_fifth_call_fails_the_run_naming_it(
    pytester: pytest.Pytester,
) -> None:
    """Only the long-lived rows reach the fifth call; they fail, say which build ended the
    process and how, and the run exits 1, never 0."""
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    spec = "harness.targets.fifthcall:factory"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--client-factory", spec, "-k", "long-lived", timeout=300
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*client factory {spec}*", "*4 failed*"])
    result.stdout.fnmatch_lines(
        ["*process ended: the factory ended the process (exit code 0) while building the client "
         "for *, the 5th client this process asked for*"]
    )  # fmt: skip


def test_factory_from_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_CLIENT_FACTORY", "harness.targets.reference:nope")
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*harness.targets.reference:nope*has no nope*"])
