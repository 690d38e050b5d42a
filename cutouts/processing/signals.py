"""What processing and the studio announce, for whoever listens, once it is committed.

The team API listens to send webhooks (cutouts.teamapi.webhooks): the
pipeline and the studio sit below it and do not know about it.
"""

from django.dispatch import Signal

# An image ended done or failed. Arguments: image_id, status.
image_finished = Signal()
# A render ended done or failed. Arguments: render_id, status.
render_finished = Signal()
