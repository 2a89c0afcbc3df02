"""A bytecode cache for code imported from zip files, for the test venv's interpreters.

Ansible runs every module task as a fresh Python process that imports ansible's and the
collections' module_utils from a zip (AnsiballZ), and zipimport compiles that source anew
each time: on a quiet machine, over a third of the CPU of an Ansible task. The tests run
thousands of tasks, so the venv's .pth calls `install_if_asked()`: with
CANARY_ZIPIMPORT_CACHE naming a directory (the Makefile sets build/zipimport-cache), or a
directory ~/.canary-zipimport-cache (ansible-test integration passes no variable of ours
through, but keeps HOME), compiled code is kept there by a hash of its source and reused. The code run is the same (same source, same compiler flags); only the
file name in it is set to the importing zip's, so tracebacks read as without the cache.
"""

import hashlib
import importlib.util
import marshal
import os
import sys
import zipimport

VARIABLE = "CANARY_ZIPIMPORT_CACHE"
HOME_DIRECTORY = ".canary-zipimport-cache"


def _renamed(code, filename):
    """code and the code objects inside it (functions, classes) with co_filename set to filename."""
    consts = tuple(_renamed(const, filename) if isinstance(const, type(code)) else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def caching(compile_source, directory):
    """A drop-in for zipimport._compile_source that keeps what compile_source makes in directory."""
    # the interpreter's magic number and flags are part of the key: another Python never reads this one's code
    salt = importlib.util.MAGIC_NUMBER + repr(sys.flags).encode()

    def compile_cached(pathname, source):
        key = hashlib.sha256(salt + source).hexdigest()
        path = os.path.join(directory, key[:2], key)
        try:
            with open(path, "rb") as cached:
                return _renamed(marshal.load(cached), pathname)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = compile_source(pathname, source)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # written under a private name and renamed: processes side by side never read half a file
            partial = f"{path}.{os.getpid()}"
            with open(partial, "wb") as out:
                marshal.dump(code, out)
            os.replace(partial, path)
        except OSError:
            pass
        return code

    compile_cached.wrapped = compile_source
    return compile_cached


def cache_directory(environ=None):
    """The directory asked for, or None (then nothing is cached)."""
    environ = os.environ if environ is None else environ
    if VARIABLE in environ:
        return environ[VARIABLE] or None  # set empty: asked not to (make benchmark measures without)
    home = os.path.join(os.path.expanduser("~"), HOME_DIRECTORY)
    return home if os.path.isdir(home) else None


def install_if_asked(environ=None):
    directory = cache_directory(environ)
    if directory and not hasattr(zipimport._compile_source, "wrapped"):
        zipimport._compile_source = caching(zipimport._compile_source, directory)
