"""Adding and removing a program in config.toml text: the user's bytes stay where they were."""

from __future__ import annotations

import tomllib

import pytest

from trayapp.config.edit import add_program, remove_program
from trayapp.errors import ConfigError

USERS = """# my config: hands off
[programs.assistant]  # the bot
preset = "nanobot"

[programs.assistant.limits]
memory = "1GB"  # keep

# ollama serves the model
[programs.ollama]
# the command
command = ["ollama", "serve"]
[programs.ollama.health]
url = "http://127.0.0.1:11434/"

# logs are kept a while
[logs]
keep = 3
"""


def test_add_appends_and_keeps_every_byte_before() -> None:
    new = add_program(USERS, "web", {"command": ["web", "--port", "8080"], "env": {"A": "1 2"},
                                     "health": {"url": "http://127.0.0.1:8080/"}})
    assert new.startswith(USERS)
    assert new[len(USERS):] == ('\n[programs.web]\ncommand = ["web", "--port", "8080"]\nenv = {A = "1 2"}\n'
                                'health = {url = "http://127.0.0.1:8080/"}\n')


def test_adding_to_a_file_that_names_no_program_keeps_the_assistant_it_runs_now() -> None:
    new = add_program("[logs]\nkeep = 2\n", "models", {"command": ["ollama", "serve"]})
    assert tomllib.loads(new)["programs"] == {"assistant": {"preset": "nanobot"},
                                              "models": {"command": ["ollama", "serve"]}}


def test_remove_takes_the_tables_and_their_comment_and_nothing_else() -> None:
    new = remove_program(USERS, "ollama")
    assert new == USERS.replace('# ollama serves the model\n[programs.ollama]\n# the command\n'
                                'command = ["ollama", "serve"]\n[programs.ollama.health]\n'
                                'url = "http://127.0.0.1:11434/"\n\n', "")


def test_removing_the_first_program_keeps_the_files_opening_comment() -> None:
    new = remove_program(USERS, "assistant")
    assert new.startswith("# my config: hands off\n") and "the bot" not in new and "1GB" not in new
    assert tomllib.loads(new)["programs"].keys() == {"ollama"} and "# logs are kept a while\n[logs]" in new


def test_a_layout_the_line_cut_cannot_handle_is_done_by_tomlkit() -> None:
    text = 'programs.a.command = ["a"]\nprograms.b.command = ["b"]\n'  # dotted keys, no headers
    assert tomllib.loads(remove_program(text, "a")) == {"programs": {"b": {"command": ["b"]}}}


@pytest.mark.parametrize(("edit", "says"), [
    (lambda: add_program(USERS, "ollama", {"command": ["x"]}), "a program named 'ollama' is already"),
    (lambda: remove_program(USERS, "nosuch"), "no program named 'nosuch' in config.toml (programs: assistant, ollama)"),
    (lambda: remove_program('[programs.only]\ncommand = ["x"]\n', "only"), "only is the only program"),
    (lambda: add_program("[programs\n", "x", {"command": ["x"]}), "config.toml is not valid TOML"),
])
def test_edits_that_cannot_be_made_say_why(edit, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        edit()
    assert says in str(caught.value)
