"""What every page shares, one concern a module (pages only draw and call ``core``):

- ``navigation``: where the page files are, and leaving Streamlit's old ``pages/`` mode;
- ``text``: text shown literally in markdown (``md``, ``code``);
- ``errors``: the one place an exception becomes what a person sees, and the dashboard's log;
- ``flashes``: messages left for the next run of a page;
- ``resources``: settings (secrets over the environment) and the one store of the process;
- ``auth``: sign-in, roles and the gate in front of every page;
- ``status``: how a cluster's status is drawn;
- ``progress``: spinners, progress bars and the progress box of a long action;
- ``confirm``: type-the-name confirmation of what cannot be undone;
- ``urls``: the page's URL state (``core.views.urlstate``) read from and written to the address bar,
  and links between pages;
- ``pickers``: the cluster and namespace pickers, kept in the URL;
- ``inputs``: the ``KEY=VALUE`` box (``core.compose.keyvalues``).

Importing this package (every page does, first thing in its first run) makes sure the app runs
as a ``st.navigation`` app (see ``navigation.leave_legacy_pages_mode``).
"""

from pages._ui.navigation import leave_legacy_pages_mode

# Every page imports this package, and the first import in a process happens in its first run,
# which is the only time the old mode can be in force.
leave_legacy_pages_mode()
