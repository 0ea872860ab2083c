"""The provincial steering committee (Ban Chỉ đạo) for key projects: the register, monthly
plans against GPMB's own actuals, meetings and their tasks, the committee's page data and
the meeting pack. Plain Python over SQLAlchemy; nothing here knows about HTTP."""
