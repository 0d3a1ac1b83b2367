from django.urls import path

from . import views

urlpatterns = [
    path('', views.home, name='home'),
    path('notes/', views.note_list, name='note_list'),
    path('notes/new/', views.note_new, name='note_new'),
    path('notes/<int:note_id>/', views.note_detail, name='note_detail'),
    path('upload/', views.upload, name='upload'),
    path('upload/<int:upload_id>/', views.upload_detail, name='upload_detail'),
    path('upload/<int:upload_id>/download', views.upload_download, name='upload_download'),
    path('stream/', views.stream, name='stream'),
]
