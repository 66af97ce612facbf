"""SQLAlchemy 2.0 models. Schema changes go through an Alembic migration in db/migrations.

Questions are versioned: an edit adds a QuestionVersion and the old one stays, so every
attempt keeps pointing at exactly the wording and numbers the student saw.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator,
                        UniqueConstraint, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NUL = "\x00"
NUL_SHOWN = "\u2400"  # ␀ SYMBOL FOR NULL: what a NUL in an answer (or a name) is stored as
SEED_RANGE = range(-2**63, 2**63)  # a BIGINT: what every database stores as an integer


def nul_safe(value):
    """What every text column stores for `value` (see _NulSafe)."""
    return value.replace(NUL, NUL_SHOWN) if isinstance(value, str) else value


class _NulSafe(TypeDecorator):
    """Text as every database can store it. PostgreSQL text cannot hold NUL (SQLite can), so
    each NUL is stored as the visible U+2400 on all of them: the same input gives the same
    stored text, and the symbol shows where the replacement was made."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return nul_safe(value)


class SafeString(_NulSafe):
    impl = String
    cache_ok = True


class SafeText(_NulSafe):
    impl = Text
    cache_ok = True


class Base(DeclarativeBase):
    pass


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[str] = mapped_column(SafeString(64), primary_key=True)
    title: Mapped[str] = mapped_column(SafeString(200))


class Lesson(Base):
    __tablename__ = "lessons"
    id: Mapped[str] = mapped_column(SafeString(100), primary_key=True)
    title: Mapped[str] = mapped_column(SafeString(300))
    topics: Mapped[list] = mapped_column(JSON)
    objectives: Mapped[list] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(SafeString(300))
    markdown: Mapped[str] = mapped_column(SafeText)
    scenarios: Mapped[dict] = mapped_column(JSON)  # name -> text of the scenarios it draws
    content_hash: Mapped[str] = mapped_column(SafeString(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Question(Base):
    __tablename__ = "questions"
    id: Mapped[str] = mapped_column(SafeString(100), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version"), nullable=True
    )
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", foreign_keys="QuestionVersion.question_id", order_by="QuestionVersion.version"
    )
    current: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)


class QuestionVersion(Base):
    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "version"),
        UniqueConstraint("question_id", "content_hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(SafeString(64))
    kind: Mapped[str] = mapped_column(SafeString(20))
    difficulty: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict] = mapped_column(JSON)  # Question.to_spec() + the named scenario's text
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    topics: Mapped[list[QuestionTopic]] = relationship(cascade="all, delete-orphan")


class QuestionTopic(Base):
    __tablename__ = "question_topics"
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), primary_key=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"), primary_key=True, index=True)


class Meta(Base):
    """Key/value facts about the bank, e.g. the fingerprint of the content last built."""

    __tablename__ = "bank_meta"
    key: Mapped[str] = mapped_column(SafeString(64), primary_key=True)
    value: Mapped[str] = mapped_column(SafeText)


class Student(Base):
    __tablename__ = "students"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Attempt(Base):
    """One answer sheet for one question variant: which version, which seed, which answers."""

    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(SafeString(100), default="practice")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Set for graded course work: one attempt per assignment, replaced by a regrade.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), nullable=True)
    __table_args__ = (Index("uq_attempts_assignment", "assignment_id", unique=True),)
    fields: Mapped[list[AttemptField]] = relationship(cascade="all, delete-orphan", order_by="AttemptField.id")


class AttemptField(Base):
    __tablename__ = "attempt_fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    field: Mapped[str] = mapped_column(SafeString(100))
    given: Mapped[str] = mapped_column(SafeText)
    expected: Mapped[str] = mapped_column(SafeText)
    verdict: Mapped[str] = mapped_column(SafeString(20))
    misconception: Mapped[str | None] = mapped_column(SafeString(100), nullable=True, index=True)
    credit: Mapped[float] = mapped_column(Float)
    carried_from: Mapped[str | None] = mapped_column(SafeString(100), nullable=True)


class Course(Base):
    __tablename__ = "courses"
    id: Mapped[str] = mapped_column(SafeString(100), primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(300))


class CourseMember(Base):
    """A roster row: the instructor's id for the student, tied to a Student for attempts."""

    __tablename__ = "course_members"
    __table_args__ = (UniqueConstraint("course_id", "roster_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    roster_id: Mapped[str] = mapped_column(SafeString(100))
    name: Mapped[str] = mapped_column(SafeString(300))
    email: Mapped[str] = mapped_column(SafeString(300))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)  # handouts and feedback; None: the instructor's


class AssessmentSet(Base):
    __tablename__ = "assessment_sets"
    __table_args__ = (UniqueConstraint("course_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(SafeString(100))
    title: Mapped[str] = mapped_column(SafeString(300))
    carry_forward: Mapped[bool] = mapped_column(Boolean, default=True)
    spec: Mapped[dict] = mapped_column(JSON)


class Assignment(Base):
    """What one student was handed: a question version, its seed, its points. Fixed at
    `course assign`, so later edits to the question never change a student's numbers."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("set_id", "member_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("assessment_sets.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("course_members.id"), index=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer)


class AssignmentKey(Base):
    """An assignment's answer key as `course assign` computed it: the expected answers and
    worked solutions of the student's variant (see course/keys.py), so grading need not
    simulate again. Valid while version, seed and simulator match; else recomputed."""

    __tablename__ = "assignment_keys"
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    simulator: Mapped[str] = mapped_column(String(64))  # library.simulator_version() when computed
    key: Mapped[dict] = mapped_column(JSON)


class GradingRun(Base):
    """The last submissions file graded for a set: its digest, a digest of the set's grades it
    left (course/again.grades_state) and its report. The same file against the same state is
    graded already: the report is returned without grading anything."""

    __tablename__ = "grading_runs"
    set_id: Mapped[int] = mapped_column(ForeignKey("assessment_sets.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict] = mapped_column(JSON)


class Translation(Base):
    """The current words of one lesson or question in one language (lessons/translation.py's
    payload). Words only: grading reads the English question, so it is the same in every
    language. A build rewrites a language's rows; a stale translation is not stored."""

    __tablename__ = "translations"
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "lesson" or "question"
    ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    payload: Mapped[dict] = mapped_column(JSON)
