"""log.py: setup() defers the logging module until a record comes that a handler shows, and
then shows it as an eager set-up would have (each case in a fresh interpreter: pytest itself
has imported logging)."""
import os
import subprocess
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")


def _run(body):
    code = ("import sys\n"
            "from lago import log\n"
            "LOG = log.logger('lago.run')\n"
            "def loaded(): print('logging' in sys.modules, flush=True)\n" + body)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=SRC), check=True)
    return out.stdout.split(), out.stderr


def test_records_no_one_shows_do_not_import_logging():
    assert _run("log.setup()\nLOG.debug('hidden %s', 1)\nloaded()\n") == (["False"], "")
    assert _run("log.setup(verbosity=-1)\nLOG.info('hidden')\nloaded()\n") == (["False"], "")


def test_the_first_record_shown_sets_logging_up_as_asked():
    out, err = _run("log.setup()\nLOG.debug('hidden')\nloaded()\nLOG.info('shown %s', 1)\n"
                    "LOG.warning('careful')\nLOG.debug('hidden too')\nloaded()\n")
    assert (out, err) == (["False", "True"], "shown 1\nwarning: careful\n")
    out, err = _run("log.setup(verbosity=-1)\nLOG.warning('w')\nLOG.info('i')\n")
    assert err == "warning: w\n"
    out, err = _run("log.setup(debug=True)\nwith log.step('outer'):\n    LOG.debug('inner')\n")
    assert err.splitlines()[:2] == ["begin: outer", "inner"] and "] outer" in err


def test_a_log_file_gets_every_record_and_stderr_only_its_own():
    out, err = _run("import os, tempfile\n"
                    "path = os.path.join(tempfile.mkdtemp(), 'lago.log')\n"
                    "log.setup()\nlog.attach_file(path)\nLOG.debug('to the file')\n"
                    "LOG.info('to both')\nprint(open(path).read().count('to '))\n"
                    "print(oct(os.stat(path).st_mode & 0o777))\n")
    assert (out, err) == (["2", "0o600"], "to both\n")


def test_setup_after_logging_is_imported_is_done_at_once():
    out, err = _run("import logging\nlog.setup()\n"
                    "print(len(logging.getLogger('lago').handlers))\n"
                    "logging.getLogger('lago').info('direct')\n")
    assert (out, err) == (["1"], "direct\n")
