from django.contrib import admin

from .models import Note, Upload


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ['title']
    search_fields = ['title', 'body']


admin.site.register(Upload)
