"""The tracking page's ratings now live in feedback.FeedbackResponse (copied by feedback 0002 first)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tracking_portal', '0001_initial'),
        ('feedback', '0002_move_tracking_page_ratings'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='deliveryfeedback',
            name='feedback_shop_recent',
        ),
        migrations.RemoveConstraint(
            model_name='deliveryfeedback',
            name='feedback_rating_1_to_5',
        ),
        migrations.DeleteModel(
            name='DeliveryFeedback',
        ),
    ]
