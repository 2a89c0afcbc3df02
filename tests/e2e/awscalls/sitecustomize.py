"""Count AWS API calls of every Python process (Ansible modules included) that starts with this
directory on PYTHONPATH and CANARY_AWS_CALL_LOG set: one line "service Operation" per call.

The sandbox's own log cannot tell a playbook's calls from its background work (alarm
evaluation, data plane), so the e2e tests count at the client instead.
"""

import os

_LOG = os.environ.get("CANARY_AWS_CALL_LOG")

if _LOG:
    try:
        from botocore.endpoint import Endpoint
    except ImportError:  # a process without botocore makes no AWS call
        Endpoint = None
    if Endpoint is not None:
        _make_request = Endpoint.make_request

        def _counted(self, operation_model, request_dict):
            with open(_LOG, "a", encoding="utf-8") as handle:
                handle.write(f"{operation_model.service_model.service_name} {operation_model.name}\n")
            return _make_request(self, operation_model, request_dict)

        Endpoint.make_request = _counted
