"""The one exception hierarchy of wfengine.

Every exception carries its message and the HTTP code the API answers
with. A class may declare a message ``template``, filled from the keyword
arguments of the raise (``InvalidField(field=..., expected=...,
kind=...)``): such a message names fields and states, never a value a
caller sent, which may be a secret and is logged. The constructor also
takes a final message as its only positional argument, so that
oslo.messaging can rebuild the exception on the calling side (this module
is an allowed remote exception module; it sends ``args`` and ``kwargs``):
a ``NotFound`` raised in the engine reaches the API as a ``NotFound`` and
becomes a 404.
"""


class WFEngineException(Exception):
    """Base of all wfengine errors; ``http_code`` is what the API answers.

    :cvar template: a ``str.format`` template of the message, filled from
        the keyword arguments (kept as ``kwargs``); None for classes whose
        raise sites give the message.
    """

    http_code = 500
    message = "An unknown error occurred"
    template = None

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None and self.template is not None and kwargs:
            message = self.template.format(**kwargs)
        self.message = message or self.message
        super().__init__(self.message)

    def __str__(self):
        return self.message


class NotFound(WFEngineException):
    http_code = 404
    message = "Object not found"
    template = "{kind} not found [id={id}]"


class NamedNotFound(NotFound):
    """A definition looked up by its name (the caller's own name)."""

    template = "{kind} not found [name={name}{where}]"


class SystemActionNotFound(NotFound):
    """A delete of a built-in action: no ad-hoc action of that name exists
    to delete (Mistral's 404 and its start of message)."""

    template = ("Action definition not found [action_name={name}]: {name} "
                "is a system action; only ad-hoc actions can be deleted")


class Forbidden(WFEngineException):
    http_code = 403
    message = "Forbidden"


class PolicyForbids(Forbidden):
    """A request the API policy does not allow (Mistral's wording)."""

    template = "Policy doesn't allow {rule} to be performed."


class SharedReadOnly(Forbidden):
    """A change to a definition another project shares (scope public)."""

    template = ("{kind} {name} belongs to another project, which shares it "
                "(scope public): it can be read and used, not changed")


class CallbackRefused(Forbidden):
    """A completion through an action's callback URL without what lets
    it in (the token sent is not repeated)."""

    template = ("{problem}: completing action execution {id} needs the "
                "credentials of its project or the token of its callback "
                "URL")


class TurnedOff(Forbidden):
    """A request for something the deployment turned off."""

    template = "{what} is turned off on this server ({option})"


class Unauthorized(WFEngineException):
    """Credentials that authenticate no one: the API answers 401."""

    http_code = 401
    message = "Authentication failed"


class NoToken(Unauthorized):
    """A request without a token where one is needed."""

    template = "No token: send {expected}"


class TokenRefused(Unauthorized):
    """A token that authenticates no one. The claim or part at fault is
    named, never what the token holds (it is a credential)."""

    template = "The token {problem}"


class TokenFieldRefused(Unauthorized):
    """A header of a request or of a token whose value is not accepted
    (the value is not repeated: what is allowed is said)."""

    template = "{field} is not accepted (allowed: {allowed})"


class DBDuplicateEntry(WFEngineException):
    """A row whose unique key is taken (the key's values are not
    repeated: the constraint is named)."""

    http_code = 409
    message = "Database object already exists"
    template = "Duplicate entry: {kind} already exists [{key}]"


class InputError(WFEngineException):
    """The request is understood but its content is wrong."""

    http_code = 400
    message = "Invalid input"


class InvalidField(InputError):
    """A field of a request, an input or a policy has a value that does
    not fit. The value is not repeated (it may be a secret): only its
    kind."""

    template = "{field} must be {expected}, got {kind}"


class InvalidValue(InputError):
    """A field, parameter or option whose value does not have the form it
    needs (the value is not repeated: the form expected is said)."""

    template = "Invalid {field}: must be {expected}"


class TooLong(InputError):
    """A text over its length limit (only its length is said)."""

    template = "{field} is {length} characters long; at most {limit} are " \
               "allowed"


class MissingField(InputError):
    """A request without a field it needs (or with it empty)."""

    template = "{what} needs {fields}"


class OnlyWith(InputError):
    """A field a request may only give together with another (or with a
    given state)."""

    template = "{field} only goes with {condition}; got {got}"


class UnknownFields(InputError):
    """A request body with fields its object does not have."""

    template = "Unknown field(s) in {where}: {fields} (allowed: {allowed})"


class NotAllowedValue(InputError):
    """A field whose value is not one of a closed set (the value is not
    repeated: the allowed ones are listed)."""

    template = "Invalid {field} (allowed: {allowed})"


class InUse(InputError):
    """A definition others depend on: it can not be deleted before them
    (Mistral answers 400)."""

    template = "Cannot delete {kind} {name}: {users} use it [{ids}]"


class InvalidInputNames(InputError):
    """The input of a workflow or an action that misses or adds names
    (the names are said, never the values)."""

    template = "Invalid input for {owner}: {problems}"


class CanNotEvaluate(InputError):
    """An expression of the request (a default, the env, the vars) that
    fails before anything runs: Mistral's "Can not evaluate" wording."""

    template = "Can not evaluate {what}: {error}"


class NotUTF8(InputError):
    """A request part (body, path, query) that is not UTF-8 text."""

    template = "The request {part} is not valid UTF-8 text{detail}"


class SystemReadOnly(InputError):
    """A change to a built-in (system) definition."""

    template = ("Cannot {what} {kind} {name}: it is a system {kind} (only "
                "ad-hoc {kind}s can be changed)")


class URLRefused(InputError):
    """A URL that may not be requested (scheme, host or address refused;
    ``netguard``)."""

    message = "URL not allowed"


class Unresolvable(URLRefused):
    """A URL whose host does not resolve (now)."""

    message = "Host does not resolve"


class InvalidURL(URLRefused):
    """A URL that is not one: what is wrong is said, not the text (its
    user part, path or query may hold a secret)."""

    template = ("{what} is not a valid URL: {problem} (allowed: http or "
                "https URLs with a host)")


class InvalidModelException(InputError):
    """A workflow text that does not parse or violates the language."""

    message = "Invalid workflow definition"


class InvalidText(InvalidModelException):
    """A definition text refused before it is read as the language: not
    text, too large, not YAML, nested or expanding past the limits."""

    template = "{what}: {problem}"


class EmptyBody(InvalidModelException):
    """A request without the definition text it is about."""

    template = ("The request body is empty: expected the text of {what} "
                "(Content-Type: text/plain)")


class OneDefinitionExpected(InputError):
    """An update by name whose text holds several definitions."""

    template = ("Updating {kind} {name} needs a text with exactly one "
                "{kind}; this one has {count}")


class InvalidStateTransition(InputError):
    """An event that the current state of an entity does not allow."""

    message = "Invalid state transition"
    template = ("Cannot {event} a {entity} execution in state {state} "
                "(allowed here: {allowed})")


class OnlyFromState(InvalidStateTransition):
    """A request only one state of its object allows (a 400)."""

    template = "{kind} {id} is {state}: only {allowed} can {what}"


class WrongState(InputError):
    """A request the state of its object does not allow: nothing
    changes."""

    template = ("Can not {what} {kind} {id} in state {state} (allowed in: "
                "{allowed})")


class FieldSizeLimitExceeded(InputError):
    """A value over the size limit of stored fields: never stored. Its
    size is said, not its content."""

    message = "Field size limit exceeded"
    template = ("Field size limit exceeded: {what} is at least {size} bytes "
                "as JSON, over the limit of {limit} KiB ({option}); "
                "{outcome}")


class ExpressionError(WFEngineException):
    """An expression failed to compile or evaluate."""

    http_code = 400
    message = "Expression error"


class ActionError(WFEngineException):
    """An action failed or could not be loaded."""

    http_code = 400
    message = "Action error"


class InvalidActionArgument(ActionError):
    """An input of an action has a value that does not fit: the task
    fails. The value is not repeated (it may be a secret): only its kind."""

    template = "Input '{field}' of {action} must be {expected}, got {kind}"


class ActionNotFound(ActionError):
    """No action of this name (in this namespace): Mistral's wording."""

    template = "Failed to find action [action_name={name}{where}]"


class ResultNotJSON(ActionError):
    """An action's result with something JSON can not carry (the path
    inside the result and the type found are named, not the value)."""

    template = ("Action {action} returned a result that is not "
                "JSON-serializable: {path} is {found} (allowed: null, "
                "boolean, number, string, list, object with string keys)")


class InvalidTaskValue(ExpressionError):
    """A value a task computes (its input, its with-items lists) that does
    not fit: the task fails. Only its kind is named."""

    template = "{field} must be {expected}, got {kind}"


class InvalidPolicy(ExpressionError):
    """A task policy's value does not fit (not repeated: only its kind)."""

    template = "Policy '{policy}' must be {expected}, got {kind}"


class Conflict(WFEngineException):
    """A change that lost a race (the object moved on in the meantime)."""

    http_code = 409
    message = "Conflict"


class StaleState(Conflict):
    """A compare-and-set lost while the engine held the execution's lock:
    the database changed under the unit of work, which runs again (and
    fails with this error when that keeps happening). An internal error,
    never a result that is quietly "not taken"."""

    http_code = 500
    template = "{kind} execution {id} is no longer {state}"


class ConflictingState(Conflict):
    """A change the state of its object no longer (or not yet) allows:
    a 409, as the object may have moved on since the caller looked."""

    template = "Cannot {what} {kind} {id} in state {state}: {rule}"


class LostRace(Conflict):
    """A change another caller made first, just now."""

    template = "{kind} {id} was {what} by someone else just now"


class StartRefused(Conflict):
    """A start the API answered 503 before an engine took it (its start
    ticket says ``refused``): the engine drops it."""

    template = ("The start of workflow execution {id} was refused: no "
                "engine answered it in time; send the start again")


class ExistsOtherwise(Conflict):
    """An object asked for by id that exists, but not as asked."""

    template = "{kind} {id} exists already and {differs}"


class EngineUnavailable(WFEngineException):
    """No engine answered in time."""

    http_code = 503
    message = "The engine did not answer in time; retry the request"


class CommandLineError(WFEngineException):
    """A problem the companion CLI shows as one line (exit code 1)."""

    message = "ERROR: the command failed"


class InvalidOption(CommandLineError):
    """A command line value that does not fit: the option is named with
    what it allows, never the value given (it may be a secret)."""

    template = "ERROR: {option} must be {expected}; got {got}"
