"""Database models, one module per concern; import them from here."""

from app.models.accounts import ApiToken, Department, Invitation, LoginSession, User
from app.models.attachments import INLINE_IMAGE_TYPES, Attachment, revision_attachments
from app.models.base import DEFAULT_PASSWORD_METHOD, UTCDateTime, check_no_password, utcnow
from app.models.feedback import PageFeedback
from app.models.help import HelpAnswerDraft, HelpAsker, HelpQuestion
from app.models.operations import AuditEntry, QueuedJob
from app.models.pages import (
    ContentGeneration,
    Page,
    PageAlias,
    PageContributor,
    PageLink,
    Revision,
    Tag,
    page_tags,
)
from app.models.paths import (
    Path,
    PathAssignment,
    PathEnrolment,
    PathReview,
    PathStepDone,
    PathVersion,
)
from app.models.review import (
    Comment,
    Notification,
    Proposal,
    ProposalEvent,
    Review,
    ReviewRequest,
    RubricCriterion,
)
from app.models.search import (
    GapAsker,
    KnowledgeGap,
    SearchLog,
    SearchOutbox,
    SynonymEvidence,
    SynonymSet,
    SynonymSuggestion,
)
from app.models.spaces import Space, SpaceKind, SpaceMember, SpaceRole
from app.models.templates import PageTemplate
from app.models.verification import PageOwner, PageSchedule, Verification, VerificationState
from app.models.watches import Watch

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Comment",
    "ContentGeneration",
    "DEFAULT_PASSWORD_METHOD",
    "Department",
    "GapAsker",
    "HelpAnswerDraft",
    "HelpAsker",
    "HelpQuestion",
    "INLINE_IMAGE_TYPES",
    "Invitation",
    "KnowledgeGap",
    "LoginSession",
    "Notification",
    "Page",
    "Path",
    "PathAssignment",
    "PathEnrolment",
    "PathReview",
    "PathStepDone",
    "PathVersion",
    "PageAlias",
    "PageContributor",
    "PageFeedback",
    "PageLink",
    "PageOwner",
    "PageSchedule",
    "PageTemplate",
    "Proposal",
    "ProposalEvent",
    "QueuedJob",
    "Review",
    "ReviewRequest",
    "Revision",
    "RubricCriterion",
    "SearchLog",
    "SearchOutbox",
    "Space",
    "SpaceKind",
    "SpaceMember",
    "SpaceRole",
    "SynonymEvidence",
    "SynonymSet",
    "SynonymSuggestion",
    "Tag",
    "UTCDateTime",
    "User",
    "Watch",
    "Verification",
    "VerificationState",
    "check_no_password",
    "page_tags",
    "revision_attachments",
    "utcnow",
]
