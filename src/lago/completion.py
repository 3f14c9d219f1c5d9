"""Bash completion script for lago.pyz (pure: built from the verbs and their options)."""
from __future__ import annotations

import argparse
from typing import Dict, List, Sequence

# Verbs whose positional arguments are VM names (completed from `lago.pyz hosts`).
VM_VERBS = ("ssh", "shell", "service", "console", "copy-to", "copy-from", "start", "stop", "shutdown",
            "deploy", "collect")
# Global options that take a value: the word after them is not the verb.
VALUE_OPTIONS = ("-w", "--workdir", "-P", "--prefix", "--connect", "--domain-type")


def options_of(parser: argparse.ArgumentParser) -> List[str]:
    return sorted(s for a in parser._actions for s in a.option_strings)  # noqa: SLF001


def verbs_of(parser: argparse.ArgumentParser) -> Dict[str, List[str]]:
    """{verb or alias: its options} from the CLI's parser."""
    out: Dict[str, List[str]] = {}
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public walk
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                out[name] = options_of(sub)
    return out


def bash_script(verbs: Dict[str, Sequence[str]], global_options: Sequence[str]) -> str:
    cases = "\n".join(f"        {v}) opts=\"{' '.join(o)}\" ;;" for v, o in sorted(verbs.items()))
    return f"""# bash completion for lago.pyz: eval "$(lago.pyz completion bash)"
_lago_pyz() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} verb="" opts="" i skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        if ((skip)); then skip=0; continue; fi
        case ${{COMP_WORDS[i]}} in
            {'|'.join(VALUE_OPTIONS)}) skip=1 ;;
            -*) ;;
            *) verb=${{COMP_WORDS[i]}}; break ;;
        esac
    done
    if [[ -z $verb ]]; then
        COMPREPLY=($(compgen -W "{' '.join(sorted(verbs))} {' '.join(global_options)}" -- "$cur"))
        return
    fi
    case $verb in
{cases}
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case $verb in
        {'|'.join(VM_VERBS)})
            COMPREPLY=($(compgen -W "$("${{COMP_WORDS[0]}}" hosts 2>/dev/null |
                                      while read -r _ name _; do echo "$name"; done)" -- "$cur"))
            [[ $verb == copy-* ]] && COMPREPLY+=($(compgen -f -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}}
complete -F _lago_pyz lago.pyz ./lago.pyz lago
"""
