"""Fake Jira Cloud REST v3: checks auth, create fields and ADF bodies the way Jira answers 400s."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes_http.base import FakeServer, Recorded, Reply

__all__ = ["FakeJira", "validate_adf", "JiraIssue"]

# Node rules from developer.atlassian.com/cloud/jira/platform/apis/document/structure (the subset
# Jira renders): which children each node takes, and which attrs it must / may carry.
BLOCKS = {"paragraph", "heading", "codeBlock", "bulletList", "orderedList", "rule", "blockquote", "panel"}
INLINE = {"text", "hardBreak", "mention", "emoji"}
CHILDREN = {
    "doc": BLOCKS, "paragraph": INLINE, "heading": INLINE, "codeBlock": {"text"},
    "bulletList": {"listItem"}, "orderedList": {"listItem"},
    "listItem": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "blockquote": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "panel": {"paragraph", "heading", "bulletList", "orderedList"},
    "rule": set(), "hardBreak": set(), "mention": set(), "emoji": set(),
}
NON_EMPTY = {"bulletList", "orderedList", "listItem", "blockquote", "panel"}
MARKS = {"strong", "em", "code", "strike", "underline", "link"}
STATUSES = ["To Do", "In Progress", "Done"]
TRANSITIONS = [("11", "To Do", "To Do"), ("21", "Start Progress", "In Progress"), ("31", "Done", "Done")]
PRIORITIES = {"Highest", "High", "Medium", "Low", "Lowest"}


def _check_attrs(node: dict[str, Any], where: str) -> None:
    kind, attrs = node["type"], node.get("attrs")
    if kind == "heading":
        assert isinstance(attrs, dict) and attrs.get("level") in range(1, 7), f"{where}: heading needs attrs.level 1-6"
    elif kind == "panel":
        assert isinstance(attrs, dict) and attrs.get("panelType") in {"info", "note", "warning", "success", "error"}, \
            f"{where}: panel needs attrs.panelType"
    elif kind == "orderedList" and attrs is not None:
        assert isinstance(attrs.get("order", 1), int) and attrs.get("order", 1) >= 1, f"{where}: bad order"
    elif kind == "codeBlock" and attrs is not None:
        assert set(attrs) <= {"language"} and isinstance(attrs.get("language", ""), str), \
            f"{where}: bad codeBlock attrs"
    elif kind in ("mention", "emoji"):
        assert isinstance(attrs, dict) and (attrs.get("id") or attrs.get("shortName")), f"{where}: {kind} needs attrs"
    else:
        assert attrs is None, f"{where}: {kind} takes no attrs"


def _check_text(node: dict[str, Any], where: str, in_code: bool) -> None:
    extra = sorted(set(node) - {"type", "text", "marks"})
    assert not extra, f"{where}: unexpected keys {extra}"
    assert isinstance(node.get("text"), str) and node["text"], f"{where}: text nodes must have non-empty text"
    marks = node.get("marks", [])
    assert isinstance(marks, list), f"{where}: marks must be a list"
    assert not (in_code and marks), f"{where}: text in a codeBlock cannot have marks"
    for mark in marks:
        assert isinstance(mark, dict) and mark.get("type") in MARKS, f"{where}: unknown mark {mark!r}"
        if mark["type"] == "link":
            href = (mark.get("attrs") or {}).get("href")
            assert isinstance(href, str) and href, f"{where}: link mark needs attrs.href"


def validate_adf(node: Any, where: str = "doc") -> None:
    """Raise AssertionError naming the first structural problem (as Jira's INVALID_INPUT would)."""
    assert isinstance(node, dict), f"{where}: expected an ADF node object, got {type(node).__name__}"
    if where == "doc":
        assert node.get("type") == "doc" and node.get("version") == 1, "doc: needs type 'doc' and version 1"
        assert isinstance(node.get("content"), list), "doc: content must be a list"
    kind = node.get("type")
    assert kind in CHILDREN or kind == "text", f"{where}: unknown node type {kind!r}"
    if kind == "text":
        _check_text(node, where, in_code=False)
        return
    assert set(node) <= {"type", "content", "attrs", "marks", "version"}, f"{where}: unexpected keys in {kind}"
    _check_attrs(node, where)
    content = node.get("content", [])
    assert isinstance(content, list), f"{where}: content of {kind} must be a list"
    assert content or kind not in NON_EMPTY, f"{where}: {kind} cannot be empty"
    allowed = CHILDREN[kind]
    assert allowed or not content, f"{where}: {kind} takes no content"
    for i, child in enumerate(content):
        here = f"{where}.{kind}[{i}]" if where != "doc" else f"doc[{i}]"
        assert isinstance(child, dict), f"{here}: raw {type(child).__name__} where a node is required"
        assert child.get("type") in allowed, f"{here}: {child.get('type')!r} not allowed inside {kind}"
        if child["type"] == "text":
            _check_text(child, here, in_code=kind == "codeBlock")
        else:
            validate_adf(child, here)


@dataclass
class JiraIssue:
    id: str
    key: str
    fields: dict[str, Any]
    status: str = "To Do"
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeJira(FakeServer):
    def __init__(self, email: str = "bot@example.com", token: str = "jira-token-123", project: str = "OPS",
                 issue_types: tuple[str, ...] = ("Task", "Bug"), priority_on_screen: bool = True) -> None:
        super().__init__()
        self.email, self.token, self.project = email, token, project
        self.issue_types = set(issue_types)
        self.priority_on_screen = priority_on_screen
        self.issues: dict[str, JiraIssue] = {}
        self.route("GET", r"/rest/api/3/search", self._retired)
        self.route("POST", r"/rest/api/3/search", self._retired)
        self.route("GET", r"/rest/api/3/search/jql", self._search)
        self.route("POST", r"/rest/api/3/issue", self._create)
        self.route("GET", r"/rest/api/3/issue/([A-Z][A-Z0-9]*-\d+)", self._get)
        self.route("GET", r"/rest/api/3/issue/([A-Z][A-Z0-9]*-\d+)/transitions", self._transitions)
        self.route("POST", r"/rest/api/3/issue/([A-Z][A-Z0-9]*-\d+)/transitions", self._transition)
        self.route("POST", r"/rest/api/3/issue/([A-Z][A-Z0-9]*-\d+)/comment", self._comment)

    def reset(self) -> None:
        """Forget issues, requests and faults, so one running server can serve many tests."""
        with self._lock:
            self.issues.clear()
            self.requests.clear()
            self.faults.clear()
            self.errors.clear()
        self.priority_on_screen = True

    # -- helpers --------------------------------------------------------------------------
    def _auth(self, rec: Recorded) -> Reply | None:
        expected = "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if rec.headers.get("authorization") != expected:
            return Reply(401, {"errorMessages": [
                "You are not authenticated. Authentication required to perform this operation."]})
        return None

    def _body(self, rec: Recorded) -> Any:
        ctype = rec.headers.get("content-type", "")
        assert ctype.startswith("application/json"), "Content-Type must be application/json"
        return rec.json()

    def _issue(self, key: str) -> JiraIssue | None:
        return self.issues.get(key)

    @staticmethod
    def _missing() -> Reply:
        return Reply(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                           "errors": {}})

    def issues_with_label(self, label: str) -> list[JiraIssue]:
        return [i for i in self.issues.values() if label in i.fields.get("labels", [])]

    # -- routes ---------------------------------------------------------------------------
    def _retired(self, rec: Recorded, m: re.Match[str]) -> Reply:
        self.errors.append("called the retired /rest/api/3/search endpoint")
        return Reply(410, {"errorMessages": [
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."]})

    def _search(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if (denied := self._auth(rec)):
            return denied
        jql = (rec.query.get("jql") or [""])[0]
        match = re.fullmatch(r'\s*labels\s*=\s*"((?:[^"\\]|\\.)*)"(?:\s+ORDER BY created (?:ASC|DESC))?\s*', jql)
        if not match:
            return Reply(400, {"errorMessages": [f"Error in the JQL Query: unsupported by the fake: {jql!r}"],
                               "errors": {}})
        label = re.sub(r"\\(.)", r"\1", match.group(1))
        wanted = [f for f in ((rec.query.get("fields") or [""])[0]).split(",") if f]
        hits = sorted(self.issues_with_label(label), key=lambda i: int(i.id))
        issues = []
        for issue in hits:
            row: dict[str, Any] = {"id": issue.id}  # enhanced search returns ids only unless fields= asks
            if "key" in wanted:
                row["key"] = issue.key
            extra = {f: issue.fields.get(f) for f in wanted if f in ("labels", "summary")}
            if "status" in wanted:
                extra["status"] = {"name": issue.status}
            if extra:
                row["fields"] = extra
            issues.append(row)
        return Reply(200, {"issues": issues, "isLast": True})

    def _create(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if (denied := self._auth(rec)):
            return denied
        fields = self._body(rec).get("fields")
        assert isinstance(fields, dict), "body must be {'fields': {...}}"
        errors: dict[str, str] = {}
        known = {"project", "summary", "issuetype", "description", "labels", "priority"}
        for name in set(fields) - known:
            errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "valid project is required"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        elif "\n" in summary or "\r" in summary:
            errors["summary"] = "The summary is invalid because it contains newline characters."
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "The issue type selected is invalid."
        for label in fields.get("labels", []):
            if not isinstance(label, str) or re.search(r"\s", label) or not label or len(label) > 255:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        if "priority" in fields:
            if not self.priority_on_screen:
                errors["priority"] = "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."
            elif (fields["priority"] or {}).get("name") not in PRIORITIES:
                errors["priority"] = "Specify a valid 'id' or 'name' for Priority"
        if "description" in fields:
            try:
                validate_adf(fields["description"])
            except AssertionError as exc:
                errors["description"] = f"INVALID_INPUT: {exc}"
            if len(json.dumps(fields["description"])) > 32767:
                errors["description"] = ("The entered text is too long. "
                                         "It exceeds the allowed limit of 32,767 characters.")
        if errors:
            self.errors.append(f"create rejected: {errors}")
            return Reply(400, {"errorMessages": [], "errors": errors})
        number = len(self.issues) + 1
        issue = JiraIssue(id=str(10000 + number), key=f"{self.project}-{number}", fields=fields)
        self.issues[issue.key] = issue
        return Reply(201, {"id": issue.id, "key": issue.key, "self": f"{self.url}/rest/api/3/issue/{issue.id}"})

    def _get(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if (denied := self._auth(rec)):
            return denied
        issue = self._issue(m.group(1))
        if issue is None:
            return self._missing()
        return Reply(200, {"id": issue.id, "key": issue.key, "fields": {"status": {"name": issue.status}}})

    def _available(self, issue: JiraIssue) -> list[dict[str, Any]]:
        # Like Jira's simplified workflow: every status reachable, except the one the issue is in.
        return [{"id": tid, "name": name, "to": {"name": to, "id": str(STATUSES.index(to) + 1)}}
                for tid, name, to in TRANSITIONS if to != issue.status]

    def _transitions(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if (denied := self._auth(rec)):
            return denied
        issue = self._issue(m.group(1))
        return self._missing() if issue is None else Reply(200, {"transitions": self._available(issue)})

    def _transition(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if (denied := self._auth(rec)):
            return denied
        issue = self._issue(m.group(1))
        if issue is None:
            return self._missing()
        wanted = (self._body(rec).get("transition") or {}).get("id")
        assert isinstance(wanted, str), "transition.id must be a string"
        pick = next((t for t in self._available(issue) if t["id"] == wanted), None)
        if pick is None:
            return Reply(400, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."],
                               "errors": {}})
        issue.status = pick["to"]["name"]
        return Reply(204, b"")

    def _comment(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if (denied := self._auth(rec)):
            return denied
        issue = self._issue(m.group(1))
        if issue is None:
            return self._missing()
        body = self._body(rec).get("body")
        assert not isinstance(body, str), "comment body must be an ADF document in REST v3, not a string"
        validate_adf(body)
        comment = {"id": str(20000 + sum(len(i.comments) for i in self.issues.values()) + 1), "body": body}
        issue.comments.append(comment)
        return Reply(201, comment)
