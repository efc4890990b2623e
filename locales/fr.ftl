# carebell's wording in French. Every language has exactly the messages English has
# (a test checks it). Interface labels first, then notification texts.

skip_to_content = Aller au contenu
times_in = Heures en
unread_notifications = notifications non lues
sign_in = Se connecter
sign_out = Se déconnecter
email = E-mail
pw_label = Mot de passe
language = Langue
notifications = Notifications
unread = non lues
mark_all_read = Tout marquer comme lu
mark_read = Marquer comme lu
no_notifications = Aucune notification pour l’instant.
back_to_dashboard = Retour au tableau de bord
role-patient = Patient
role-practitioner = Praticien
role-admin = Administrateur
patient_dashboard = Mes rendez-vous
appointment = Rendez-vous
history = Historique
past_cutoff = Il est trop tard pour annuler ou déplacer ce rendez-vous en ligne ; appelez le cabinet.
my_appointments = Rendez-vous à venir
no_appointments = Vous n’avez aucun rendez-vous à venir.
past_appointments = Précédents
status-requested = En attente de confirmation
status-confirmed = Confirmé
status-declined = Refusé
status-cancelled = Annulé
cancel_reason = Motif (facultatif)
cancel_reason_required = Motif (communiqué au patient)
cancel = Annuler le rendez-vous
move_to = Déplacer au
reschedule = Déplacer
practitioners = Praticiens
follow = Suivre
following = Suivi (arrêter)
free_slots = Créneaux libres
no_free_slots = Aucun créneau libre pour le moment.
reason_for_visit = Motif de la consultation
urgency = Délai souhaité
urgency-routine = Habituel
urgency-soon = Bientôt
urgency-urgent = Urgent
book = Réserver
practitioner_dashboard = Mon cabinet
pending_requests = Demandes à traiter
no_pending = Aucune demande en attente.
accept = Accepter
decline_reason = Motif du refus
decline = Refuser
agenda = Agenda confirmé
no_agenda = Rien de confirmé pour l’instant.
my_slots = Mes créneaux
add_slots = Ajouter des créneaux
date = Date
from = De
until = À
minutes = Minutes chacun
notify_followers = Prévenir mes abonnés
add = Ajouter
notify_availability = Prévenir mes abonnés de mes disponibilités
note = Note (facultative)
send = Envoyer
no_slots = Aucun créneau à venir.
free = libre
held = réservé
deliveries = Envois
delivery_states = États des envois
job-dead = En échec
job-pending = En attente
job-sending = En cours
job-sent = Envoyés
job-delivered = Remis (accusé)
job-undelivered = Non remis (accusé)
job-voided = Annulés
no_deliveries = Aucun.
kind = Type
channel = Canal
recipient = Destinataire
due = Prévu
attempts = Tentatives
last_error = Motif
in_flight_at_change = Déjà remis au prestataire quand le rendez-vous a changé ; le message du changement le suit.
actions = Actions
retry = Réessayer
offer = Un créneau réservé pour vous
offer_held_until = réservé pour vous jusqu'au
offer_moves_from = Votre rendez-vous est actuellement le
offer_accept = Prendre ce créneau
offer_decline = Le laisser à la personne suivante
offer_see_appointment = Voir le rendez-vous
offer-open = Réservé pour vous
offer-accepted = Pris
offer-declined = Laissé à la suite
offer-expired = La réservation a expiré
waitlist = Liste d'attente
waitlist_none = Vous n'attendez aucun créneau.
waitlist_join = Prévenez-moi quand un créneau se libère
waitlist_join_earlier = Prévenez-moi si un créneau plus tôt se libère
waitlist_from = À partir du (date)
waitlist_until = Jusqu'au (date)
waitlist_day_start = Pas avant
waitlist_day_end = Pas après
waitlist_earlier_than = plus tôt que
waitlist_leave = Quitter la liste d'attente
waitlist_offers = Créneaux libérés proposés
attendance_confirm = Je viendrai
attendance_confirmed = Venue confirmée
ok-offer_accepted = Le créneau est à vous.
ok-offer_declined = C'est noté : le créneau est proposé à la personne suivante. Vous restez sur la liste d'attente.
ok-waitlist_joined = Vous êtes sur la liste d'attente : quand un créneau qui vous convient se libère, il vous est réservé et vous êtes prévenu.
ok-waitlist_left = Vous avez quitté la liste d'attente.
ok-attendance_confirmed = Merci : le praticien voit que vous viendrez.
ok-booked = Votre demande est envoyée. Vous serez prévenu dès sa confirmation.
ok-cancelled = Le rendez-vous est annulé.
ok-rescheduled = Le rendez-vous a été déplacé.
ok-followed = Vous serez prévenu des nouveaux créneaux.
ok-unfollowed = Vous ne suivez plus ce praticien.
ok-accepted = Accepté. Le patient est prévenu.
ok-declined = Refusé. Le patient est prévenu.
ok-slots_added = Les créneaux ont été ajoutés.
ok-notified = Vos abonnés sont prévenus.
ok-retried = L’envoi est relancé.
ok-read = Marquée comme lue.
ok-all_read = Tout est marqué comme lu.
error-other = Cela n’a pas fonctionné :
people = Personnes
people_search = Nom ou e-mail
people_find = Chercher
people_none = Personne trouvé.
people_role = Rôle
people_state = État
people_active = Actif
people_deactivated = Désactivé
people_deactivate = Désactiver
people_reactivate = Réactiver
ok-deactivated = Le compte est désactivé : ses sessions ont pris fin et il ne reçoit plus rien.
ok-reactivated = Le compte est de nouveau actif.
webhooks = Webhooks
webhooks_intro = Les systèmes informés des rendez-vous et des envois. Les intégrateurs enregistrent leurs points d'accès par l'API (POST /api/v1/admin/webhooks), qui montre chaque secret une seule fois.
webhooks_none = Aucun point d'accès pour l'instant.
webhook_url = Adresse
webhook_events = Événements
webhook_off = Désactivé
webhook_failing_since = En échec depuis
webhook_enable = Activer
webhook_disable = Désactiver
ok-webhook_enabled = Le point d'accès est réactivé.
ok-webhook_disabled = Le point d'accès est désactivé : plus rien ne lui est envoyé.
profile = Profil
profile_name = Nom
profile_phone = Numéro de téléphone
profile_phone_hint = Au format international, par exemple +33 6 12 34 56 78. Laissez vide pour ne recevoir aucun SMS.
profile_zone = Fuseau horaire (par exemple Europe/Paris)
profile_password = Mot de passe
profile_current_password = Mot de passe actuel
profile_new_password = Nouveau mot de passe
profile_password_hint = Au moins 10 caractères. Vos autres sessions et jetons prennent fin quand vous le changez.
profile_change_password = Changer le mot de passe
ok-profile_saved = Votre profil est enregistré.
ok-password_changed = Votre mot de passe est changé. Vos autres sessions ont pris fin.
reset_forgot = Mot de passe oublié ?
reset_title = Choisir un nouveau mot de passe
reset_intro = Saisissez l'adresse e-mail de votre compte. Nous y enverrons un lien pour choisir un nouveau mot de passe.
reset_send = Envoyez-moi un lien
reset_sent = Si un compte utilise cette adresse, un lien est en route vers elle. Le lien fonctionne une seule fois, pendant { $minutes } minutes.
reset_new = Nouveau mot de passe
reset_hint = Au moins 10 caractères. Toutes les sessions et tous les jetons de votre compte prennent fin quand vous le définissez.
reset_repeat = Le nouveau mot de passe, à nouveau
reset_mismatch = Les deux mots de passe ne sont pas identiques.
reset_save = Définir le mot de passe
reset_invalid = Ce lien ne peut pas être utilisé : il n'est pas valide, a déjà servi ou a expiré.
reset_again = Demander un nouveau lien
ok-password_reset = Votre nouveau mot de passe est défini. Connectez-vous avec.
notices = Annonces
notice = Annonce
notice_new = Rédiger une annonce
notice_day = Prévenir les patients d'une journée
notice_day_hint = Elle part vers vos patients qui ont un rendez-vous demandé ou confirmé ce jour-là.
notice_audience = Qui la reçoit
notice_who = Destinataires
audience-everyone = Tout le monde
audience-patients = Tous les patients
audience-practitioners = Tous les praticiens
audience-patients_of = Les patients d'un praticien
audience-booked_on = Les patients ayant rendez-vous un jour donné
audience-booked_between = Les patients ayant rendez-vous sur une période
audience-users = Des personnes choisies
notice_practitioner = Praticien
notice_any_practitioner = Tout praticien
notice_people = Personnes (pour des personnes choisies)
notice_people_hint = Leurs adresses e-mail ou numéros de compte, séparés par des virgules ou des lignes.
notice_date = Jour (pour les patients ayant rendez-vous ce jour-là)
notice_channels = Comment elle est envoyée
notice_in_app = Dans le tableau de bord (toujours)
notice_severity = Importance
severity-info = Information
severity-success = Bonne nouvelle
severity-warning = Avertissement
severity-error = Urgent
notice_text-en = Texte en anglais
notice_text-fr = Texte en français
notice_text-ar = Texte en arabe
notice_optional = facultatif
notice_title = Titre
notice_message = Texte
notice_preview = Voir qui elle atteint
notice_state = État
notice-draft = Brouillon : pas encore envoyée
notice-sending = En cours d'envoi
notice-sent = Envoyée
notice-cancelled = Arrêtée
notice_reach = Personnes atteintes
notice_planned = Écrite dans les boîtes
notice_sent = Envoyés
notice_failed = Échecs
notice_from = De
notice_created = Rédigée
notice_none = Aucune annonce pour l'instant.
notice_confirm = Rien n'est envoyé avant votre confirmation. Personnes qu'elle atteindra :
notice_send = L'envoyer maintenant
notice_discard = Abandonner le brouillon
notice_progress = Avancement
notice_shown = Affichée dans le tableau de bord
notice_read = Lue
notice_pending = En attente
notice_suppressed = Retenus par les choix de la personne
notice_voided = Arrêtés
notice_refresh = Actualiser
notice_cancel = Arrêter l'envoi
ok-notice_sent = L'annonce est en route.
ok-notice_cancelled = L'annonce est arrêtée : ce qui n'a pas encore été remis ne le sera pas.
error-rate_limited = Vous avez envoyé beaucoup d'annonces récemment. Réessayez plus tard.
error-notice_not_draft = Cette annonce a déjà été envoyée.
error-notice_cancelled = Cette annonce a déjà été arrêtée.
preferences = Préférences de messages
preferences_intro = Choisissez comment nous vous joignons pour chaque type de message. Les notifications dans l’application restent toujours actives.
sms_opted_out = Votre numéro nous a demandé d’arrêter les SMS (STOP). Répondez START à notre numéro pour les recevoir à nouveau.
category-appointment_updates = Suivi des rendez-vous (demandes, confirmations, changements, annulations)
category-reminders = Rappels avant une consultation
category-availability = Nouveaux créneaux des praticiens que vous suivez
category-notices = Annonces du cabinet
category_required = Le cabinet a besoin d’un moyen de vous joindre à ce sujet : gardez l’e-mail ou le SMS.
channel_email = E-mail
channel_sms = SMS
channel_push = Notifications dans mes navigateurs
channel_whatsapp = WhatsApp
whatsapp_agree = M'envoyer aussi des messages WhatsApp, là où partent les SMS (je peux les arrêter ici à tout moment).
push_heading = Notifications dans ce navigateur
push_intro = Recevez une notification sur cet ordinateur ou ce téléphone quand il se passe quelque chose, même quand carebell n'est pas ouvert.
push_browsers = Navigateurs où les notifications sont activées :
push_enable = Activer les notifications dans ce navigateur
push_disable = Désactiver les notifications dans ce navigateur
push_unsupported = Ce navigateur ne peut pas afficher de notifications de carebell.
push_on = Les notifications sont activées dans ce navigateur.
push_off = Les notifications sont désactivées dans ce navigateur.
push_denied = Le navigateur a refusé : autorisez les notifications pour ce site dans ses réglages, puis réessayez.
push_failed = Ce navigateur n'a pas pu activer les notifications : son service de notifications a refusé ou n'a pas répondu.
no_phone = aucun numéro de téléphone sur votre compte
quiet_hours = Heures calmes
quiet_hours_intro = Les e-mails et SMS prévus pendant ces heures attendent leur fin, à votre heure :
quiet_own = Utiliser mes propres heures calmes (sinon celles du cabinet)
quiet_from = De
quiet_until = Jusqu’à
in_app_always = Les notifications du tableau de bord sont toujours conservées.
save = Enregistrer
ok-preferences_saved = Vos préférences sont enregistrées.
job-suppressed = Retenus par les choix du destinataire
unsubscribe = Se désabonner
unsubscribe_invalid = Ce lien n’est pas valide. Connectez-vous pour choisir les messages que vous recevez.
unsubscribe_confirm = Ne plus recevoir ces e-mails
unsubscribe_more = Choisir toutes vos préférences de messages
unsubscribe_ask-appointment_updates = Ne plus recevoir d’e-mails sur vos rendez-vous ?
unsubscribe_ask-reminders = Ne plus recevoir d’e-mails de rappel ?
unsubscribe_ask-availability = Ne plus recevoir d’e-mails sur les nouveaux créneaux ?
unsubscribe_ask-notices = Ne plus recevoir d’e-mails d’annonces du cabinet ?
unsubscribed-appointment_updates = C’est fait : plus d’e-mails sur vos rendez-vous, sauf s’il n’y a pas d’autre moyen de vous joindre.
unsubscribed-reminders = C’est fait : plus d’e-mails de rappel.
unsubscribed-availability = C’est fait : plus d’e-mails sur les nouveaux créneaux.
unsubscribed-notices = C’est fait : plus d’e-mails d’annonces du cabinet.
error-invalid_credentials = E-mail ou mot de passe incorrect.
error-too_many_attempts = Trop d’essais infructueux. Patientez quelques minutes.
error-busy = Le serveur est occupé. Réessayez dans un instant.
error-csrf_failed = Ce formulaire a expiré. Rechargez la page et réessayez.
error-slot_taken = Quelqu’un a réservé ce créneau avant vous. Choisissez-en un autre.
error-slot_overlap = Ces créneaux chevauchent des créneaux existants.
error-slot_in_use = Ce créneau est réservé.
error-invalid_transition = Ce rendez-vous ne peut plus changer ainsi.
error-appointment_started = Ce rendez-vous a déjà commencé.
error-cancellation_cutoff_passed = Il est trop tard pour annuler en ligne. Appelez le cabinet.
error-concurrent_modification = Quelqu’un l’a modifié en même temps. Vérifiez et réessayez.
error-not_found = Cela n’existe plus.
error-not_dead = Seuls les envois en échec peuvent être relancés.
error-internal_error = Un problème est survenu de notre côté. Réessayez.

## Notifications : voir en.ftl pour les noms et les valeurs.

booking_received-to-patient =
    .subject = Demande reçue : { $when }
    .heading = Nous avons reçu votre demande
    .body = Votre demande de rendez-vous avec { $practitioner } le { $when } a bien été reçue. Vous serez prévenu dès qu’elle sera confirmée.
    .action = Voir mon rendez-vous

appointment_requested-to-practitioner =
    .subject = Nouvelle demande de rendez-vous : { $patient }, { $when }
    .heading = Nouvelle demande de rendez-vous
    .body = { $patient } demande un rendez-vous le { $when } (urgence : { $urgency }).
    .next = Acceptez-la ou refusez-la depuis la page du rendez-vous.
    .action = Examiner la demande

appointment_confirmed-to-patient =
    .subject = Rendez-vous confirmé : { $when }
    .heading = Votre rendez-vous est confirmé
    .body = { $practitioner } a confirmé votre rendez-vous le { $when }.
    .action = Voir mon rendez-vous
    .sms = { $clinic } : rendez-vous avec { $practitioner } confirmé le { $when }. Le gérer : { $link }

appointment_confirmed-to-practitioner =
    .subject = Confirmé : { $patient }, { $when }
    .heading = Vous avez confirmé un rendez-vous
    .body = Vous avez confirmé le rendez-vous avec { $patient } le { $when }.
    .action = Voir le rendez-vous

appointment_declined-to-patient =
    .subject = Demande de rendez-vous refusée
    .heading = Votre demande a été refusée
    .body = { $practitioner } ne peut pas accepter votre demande pour le { $when }.{ $has_reason ->
        [yes] { " " }Motif : { $reason }
       *[no] {""}
    }
    .next = Vous pouvez réserver un autre créneau.
    .action = Trouver un autre créneau

cancellation_confirmed-to-patient =
    .subject = Annulation confirmée : { $when }
    .heading = Annulation confirmée
    .body = Votre rendez-vous avec { $practitioner } le { $when } est annulé.
    .next = Vous pouvez réserver un autre créneau quand vous le souhaitez.
    .action = Voir le rendez-vous

cancellation_confirmed-to-practitioner =
    .subject = Vous avez annulé : { $patient }, { $when }
    .heading = Annulation confirmée
    .body = Vous avez annulé le rendez-vous avec { $patient } le { $when }. { $patient } a été prévenu.
    .action = Voir le rendez-vous

patient_cancelled-to-practitioner =
    .subject = Annulé par le patient : { $patient }, { $when }
    .heading = Un patient a annulé
    .body = { $patient } a annulé le rendez-vous du { $when }.{ $has_reason ->
        [yes] { " " }Motif : { $reason }
       *[no] {""}
    }
    .next = Le créneau est de nouveau libre.
    .action = Voir le rendez-vous

appointment_cancelled-to-patient =
    .subject = Rendez-vous annulé : { $when }
    .heading = Votre rendez-vous a été annulé
    .body = { $by ->
        [practitioner] { $practitioner } a annulé votre rendez-vous du { $when }.
       *[system] { $clinic } a annulé votre rendez-vous avec { $practitioner } le { $when }.
    }{ $has_reason ->
        [yes] { " " }Motif : { $reason }
       *[no] {""}
    }
    .next = Nous vous prions de nous excuser. Vous pouvez réserver un autre créneau.
    .action = Réserver un autre créneau
    .sms = { $clinic } : votre rendez-vous avec { $practitioner } le { $when } est annulé. Détails : { $link }

appointment_cancelled-to-practitioner =
    .subject = Annulé par la clinique : { $patient }, { $when }
    .heading = La clinique a annulé un rendez-vous
    .body = { $clinic } a annulé le rendez-vous avec { $patient } le { $when }.{ $has_reason ->
        [yes] { " " }Motif : { $reason }
       *[no] {""}
    }
    .action = Voir le rendez-vous

appointment_modified-to-patient =
    .subject = Rendez-vous déplacé au { $when }
    .heading = Votre rendez-vous a été déplacé
    .body = Votre rendez-vous avec { $practitioner } a été déplacé du { $previous } au { $when }.
    .next = { $status ->
        [requested] Il attend toujours d’être confirmé.
       *[other] {""}
    }
    .action = Voir mon rendez-vous
    .sms = { $clinic } : votre rendez-vous avec { $practitioner } est maintenant le { $when }. Détails : { $link }

appointment_modified-to-practitioner =
    .subject = Rendez-vous déplacé : { $patient }, { $when }
    .heading = Un rendez-vous a été déplacé
    .body = { $by ->
        [patient] { $patient } a déplacé son rendez-vous du { $previous } au { $when }.
        [practitioner] Vous avez déplacé le rendez-vous avec { $patient } du { $previous } au { $when }.
       *[system] { $clinic } a déplacé le rendez-vous avec { $patient } du { $previous } au { $when }.
    }
    .action = Voir le rendez-vous

appointment_reminder-to-patient =
    .subject = Rappel : rendez-vous le { $when }
    .heading = Rappel de rendez-vous
    .body = Votre rendez-vous avec { $practitioner } a lieu le { $when }.
    .next = { $check ->
        [yes] Vous ne nous avez pas encore confirmé votre venue : confirmez-la sur la page du rendez-vous (« Je viendrai »), ou répondez C à notre SMS.
       *[no] { $online ->
            [yes] Si vous ne pouvez pas venir, merci d’annuler pour libérer le créneau.
           *[no] Si vous ne pouvez pas venir, merci d’appeler la clinique{ $has_phone ->
                [yes] { " " }au { $phone }
               *[no] {""}
            } : il est trop tard pour annuler en ligne.
        }
    }
    .action = Voir mon rendez-vous
    .sms = { $clinic } : rappel, rendez-vous avec { $practitioner } le { $when }. { $online ->
        [yes] Annuler ou déplacer : { $link }
       *[no] Empêché ? Appelez { $has_phone ->
            [yes] le { $phone }
           *[no] la clinique
        }.
    }{" "}Répondez C pour confirmer votre venue.

waitlist_offer-to-patient =
    .subject = Un créneau avec { $practitioner } s'est libéré : { $when }
    .heading = Un créneau vous est réservé
    .body = { $moves ->
        [yes] Un créneau plus tôt avec { $practitioner } s'est libéré : { $when } (votre rendez-vous est actuellement le { $previous }).
       *[no] Un créneau avec { $practitioner } que vous attendiez s'est libéré : { $when }.
    } Il vous est réservé jusqu'au { $until }.
    .next = Acceptez-le en un geste, ou refusez-le pour que la personne suivante puisse l'avoir.
    .action = Voir la proposition
    .sms = { $clinic } : { $practitioner } est disponible le { $when }{ $moves ->
        [yes] , plus tôt que votre rendez-vous
       *[no] {""}
    }. Réservé pour vous jusqu'au { $until }. Répondez O pour le prendre ou N pour le laisser, ou ouvrez { $link }

new_availability-to-patient =
    .subject = Nouvelles disponibilités de { $practitioner }
    .heading = De nouveaux créneaux sont disponibles
    .body = { $practitioner } a { free-times }{ $has_first ->
        [yes] ; le premier est le { $first }
       *[no] {""}
    }.{ $has_note ->
        [yes] { " " }{ $note }
       *[no] {""}
    }
    .action = Réserver un créneau

system_notice =
    .subject = { $has_sender ->
        [yes] { $sender } : { $title }
       *[no] { $title }
    }
    .heading = { $title }
    .body = { $message }
    .next = { $has_sender ->
        [yes] De la part de { $sender }, { $clinic }.
       *[no] De la part de { $clinic }.
    }
    .action = Ouvrir mon tableau de bord
    .sms = { $has_sender ->
        [yes] { $clinic }, { $sender } :
       *[no] { $clinic } :
    } { $title }. { $message }

password_reset =
    .subject = Réinitialisez votre mot de passe chez { $clinic }
    .heading = Choisissez un nouveau mot de passe
    .body = Quelqu'un a demandé à réinitialiser le mot de passe de votre compte { $clinic }. Le lien fonctionne une seule fois, jusqu'au { $expires }.
    .next = Si ce n'était pas vous, ignorez ce message : votre mot de passe reste inchangé.
    .action = Choisir un nouveau mot de passe

webhook_disabled =
    .subject = Point d'accès webhook désactivé : { $url }
    .heading = Un point d'accès webhook a été désactivé
    .body = Toutes les livraisons vers { $url } échouent depuis le { $since } ; { $clinic } a donc désactivé ce point d'accès. Plus rien ne lui est envoyé.
    .next = Réparez-le, puis réactivez-le ; les livraisons échouées peuvent être relancées depuis le journal des envois.
    .action = Voir les points d'accès

free-times = { $count ->
    [one] { $count } créneau libre
   *[other] { $count } créneaux libres
}

## Ce qu’ajoute un e-mail.

email-footer = Vous recevez ce message car vous avez un compte auprès de { $clinic }.
email-choices = Choisissez les messages que vous recevez, et quand :
email-unsubscribe = { $category ->
    [availability] Ne plus recevoir d’e-mails sur les nouvelles disponibilités
   *[notices] Ne plus recevoir d’e-mails d’annonces du cabinet
}
email-calendar-add = Le fichier calendrier joint l’ajoute à votre agenda.
email-calendar-update = Le fichier calendrier joint met votre agenda à jour.
email-calendar-remove = Le fichier calendrier joint le retire de votre agenda.
calendar-summary = Rendez-vous avec { $practitioner }
calendar-summary-practitioner = Rendez-vous : { $patient }
calendar-description = Avec { $practitioner }, { $clinic }. { $has_phone ->
    [yes] Pour modifier ou annuler : { $link } ou { $phone }.
   *[no] Pour modifier ou annuler : { $link }.
}

## Les réponses des anciens chemins du tableau de bord (`/practitioner-dashboard/…`).

time-ago = { $unit ->
    [now] à l’instant
    [minutes] { $count ->
        [one] il y a { $count } minute
       *[other] il y a { $count } minutes
    }
    [hours] { $count ->
        [one] il y a { $count } heure
       *[other] il y a { $count } heures
    }
   *[days] { $count ->
        [one] il y a { $count } jour
       *[other] il y a { $count } jours
    }
}
old-accepted = Rendez-vous accepté. Le patient a été prévenu.
old-declined = Rendez-vous refusé. Le patient a été prévenu.
old-notified = { $count ->
    [0] Aucun patient à prévenir.
    [one] { $count } patient prévenu de vos disponibilités.
   *[other] { $count } patients prévenus de vos disponibilités.
}

## Answers to SMS keywords
sms-stopped = { $clinic } : vous ne recevrez plus de SMS de notre part. Répondez START pour les recevoir à nouveau.
sms-started = { $clinic } : vous recevrez à nouveau nos SMS. Répondez STOP pour les arrêter.
sms-help = { $clinic } : messages de rendez-vous. { $phone ->
    [none] Répondez STOP pour les arrêter.
   *[other] Appelez le { $phone }. Répondez STOP pour les arrêter.
}

sms-reply-help = { $clinic } : répondez C pour confirmer votre rendez-vous, X pour l'annuler, O ou N pour répondre à une proposition de créneau, STOP pour ne plus recevoir de SMS.{ $phone ->
    [none] {""}
   *[other] { " " }Questions : { $phone }.
}
sms-reply-nothing = { $clinic } : nous n'avons trouvé aucun rendez-vous à venir auquel cette réponse pourrait se rapporter. Répondez HELP pour de l'aide.
sms-reply-choice = { $n } : { $practitioner }, { $when }.
sms-reply-which = { $clinic } : quel rendez-vous ? { $choices }
sms-reply-confirmed = { $clinic } : merci, nous avons prévenu { $practitioner } de votre venue le { $when }.
sms-reply-not-confirmed = { $clinic } : votre rendez-vous avec { $practitioner } le { $when } n'est pas encore confirmé ; nous vous préviendrons.
sms-reply-cancelled = { $clinic } : votre rendez-vous avec { $practitioner } le { $when } est annulé.
sms-reply-too-late = { $clinic } : il est trop tard pour annuler par SMS votre rendez-vous avec { $practitioner } le { $when }. { $phone ->
    [none] Merci d'appeler la clinique.
   *[other] Merci d'appeler le { $phone }.
}
sms-reply-no-offer = { $clinic } : aucun créneau ne vous est réservé pour le moment.
sms-reply-offer-taken = { $clinic } : c'est fait, { $practitioner } le { $when } est à vous.
sms-reply-offer-passed = { $clinic } : compris, { $practitioner } le { $when } va à la personne suivante. Vous restez sur la liste d'attente.
sms-reply-offer-gone = { $clinic } : désolé, { $practitioner } le { $when } ne vous est plus réservé.
